"""Event source mappings: DynamoDB stream pollers that invoke their target functions."""
