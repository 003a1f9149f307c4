"""cutri's bot package."""
