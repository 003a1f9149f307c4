"""cutri's scheduler package."""
