"""Tiny Lambda handlers that make the emulator show each behaviour the conformance suite checks."""
