"""Adapters: DynamoDB event store and read model."""
