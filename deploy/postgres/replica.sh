#!/bin/bash
# The streaming read replica (compose profile `replica`): on first start, copy the primary
# with pg_basebackup -R (which writes standby.signal and primary_conninfo), then run as a hot
# standby that follows the primary's WAL. Later starts reuse the copy.
set -euo pipefail
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD in deploy/.env}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	until pg_isready -h db -p 5432 -q; do sleep 1; done
	PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
		--host=db --port=5432 --username=replicator \
		--pgdata="$PGDATA" --wal-method=stream --write-recovery-conf --checkpoint=fast
	chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
