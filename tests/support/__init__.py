"""Helpers shared by the test suites: processes, ports and bounded waits."""
