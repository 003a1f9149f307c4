"""The office's web panel: server-rendered pages over the same storage operations as the chat."""
