"""PII redaction: Presidio behind an exact fast path (prefilter, phone screen, phone cache)."""
