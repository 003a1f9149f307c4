"""cutri's handlers package."""
