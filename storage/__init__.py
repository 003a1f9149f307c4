"""cutri's storage package."""
