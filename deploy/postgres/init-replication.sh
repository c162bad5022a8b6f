#!/bin/bash
# Run once by the PostgreSQL image when it creates the primary's data folder
# (/docker-entrypoint-initdb.d): a role the streaming read replica (compose profile
# `replica`) connects as, and the pg_hba line that lets it stream the WAL.
set -euo pipefail
if [ -z "${REPLICATION_PASSWORD:-}" ]; then
	echo "init-replication: REPLICATION_PASSWORD not set; no replication role created" >&2
	exit 0
fi
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
	-v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
