"""ClickHouse as code: staging DDL, the load manifest, the quarantine."""
