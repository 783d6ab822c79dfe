-- One Postgres for Dagster's instance storage, Superset's metadata and the ingest key store
-- (runs once, on an empty data volume).
CREATE DATABASE dagster;
CREATE DATABASE superset;
CREATE DATABASE ingest;
