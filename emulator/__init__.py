"""A local AWS data plane: HTTP API gateway, JWT authorizer, Lambda runtime, stream pollers, logs."""
