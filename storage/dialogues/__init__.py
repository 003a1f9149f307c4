"""Poverty-policy dialogues: hamlet seats, waiting lists, offers, and the household's
sensitive data."""
