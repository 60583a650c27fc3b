"""Service layer: command handlers, the unit of work and the read-model projection."""
