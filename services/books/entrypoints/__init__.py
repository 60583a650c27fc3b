"""Lambda entrypoints: command (write side), query (read side) and projector (stream consumer)."""
