"""An embedded ClickHouse server: one chDB engine on disk, served over ClickHouse's HTTP
interface so clickhouse-connect, dbt-clickhouse and Superset use it as a real server."""
