"""Petitions under the rules: submitting, the workflow's allowed moves, views, deadlines,
duplicates and reports."""
