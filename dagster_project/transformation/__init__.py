"""dbt on ClickHouse: staging models, facts and 5-minute rollups, after every load."""
