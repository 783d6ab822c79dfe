"""The CPU-bound step of a request, run in worker processes: body, validation, records."""
