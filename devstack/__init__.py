"""The local stack's orchestration: start, apply, stop (make local-up / local-down)."""
