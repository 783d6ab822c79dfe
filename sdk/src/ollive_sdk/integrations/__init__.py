"""Auto-instrumentation of model client libraries (each behind its own optional extra)."""
