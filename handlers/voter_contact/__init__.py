"""Voter contact in the chat: meetings for citizens and delegates, the office's plan and notices."""
