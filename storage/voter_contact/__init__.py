"""Voter contact as data: sessions, rounds, meetings, the plan import and reminders."""
