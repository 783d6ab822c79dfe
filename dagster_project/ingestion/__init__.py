"""Raw objects → ClickHouse staging, exactly once per object."""
