"""Benchmarks against a running local stack (make bench, make bench-soak); never run by the test suites."""
