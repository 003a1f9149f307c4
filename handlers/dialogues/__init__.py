"""Poverty-policy dialogues in the chat: households registering, the office running one, notices."""
