"""Books domain: the model, its validation, commands and events. No I/O here."""
