"""The ingest API: validated, PII-redacted, durable intake of LLM observability events."""
