"""Petitions in the chat: sending one, following it, and the office's and agencies' work on it."""
