"""SDK keys: the hashed key store and its CLI (`python -m ingest_api.keys`)."""
