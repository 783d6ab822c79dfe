-- One Postgres for Dagster's instance storage and Superset's metadata.
CREATE DATABASE dagster;
CREATE DATABASE superset;
