#!/bin/bash
# Creates the read-only user Superset connects as (readonly=1: SELECT only).
set -euo pipefail
clickhouse-client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" --multiquery <<SQL
CREATE USER IF NOT EXISTS ${OLLIVE_CLICKHOUSE_READONLY_USER:-analyst}
  IDENTIFIED WITH sha256_password BY '${OLLIVE_CLICKHOUSE_READONLY_PASSWORD}'
  SETTINGS readonly = 1;
GRANT SELECT ON ollive.* TO ${OLLIVE_CLICKHOUSE_READONLY_USER:-analyst};
SQL
