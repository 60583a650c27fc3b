"""The HTTP API (API Gateway v2) request pipeline: one module per step, chained in emulator/gateway.py."""
