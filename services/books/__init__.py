"""The books catalog: domain, service layer, adapters and Lambda entrypoints (CQRS)."""
