"""The Parquet lake: daily compaction of raw objects with DuckDB, reconciled with ClickHouse."""
