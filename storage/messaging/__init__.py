"""Everything that leaves the bot: the outbox, notices, broadcasts and quiet hours."""
