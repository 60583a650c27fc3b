"""Shipping function output and access logs into CloudWatch Logs in the control plane."""
