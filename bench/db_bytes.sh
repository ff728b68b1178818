#!/bin/sh
# Bytes on disk per table and index of a TaskGate database, and per audit
# event: `bench/db_bytes.sh FILE`. Reads the file only (dbstat, a read-only
# virtual table of Debian's sqlite3 CLI); run it on a copy, or with the
# server stopped, to see the file at rest (a live server's WAL is not
# counted).
set -eu
db=${1:?usage: db_bytes.sh FILE}
[ -f "$db" ] || { echo "db_bytes.sh: no such file: $db" >&2; exit 2; }
command -v sqlite3 >/dev/null || {
  echo "db_bytes.sh: the sqlite3 CLI is missing (deploy/setup.sh installs it)" >&2
  exit 2
}
sqlite3 -readonly "$db" <<'SQL'
.mode column
.headers on
WITH
  sizes AS (SELECT name, SUM(pgsize) AS bytes, SUM(payload) AS payload
            FROM dbstat GROUP BY name),
  events AS (SELECT MAX(1, COUNT(*)) AS n FROM audit_events),
  total AS (SELECT SUM(bytes) AS bytes FROM sizes)
SELECT s.name AS name,
       COALESCE(m.tbl_name, s.name) AS of_table,
       s.bytes AS bytes,
       s.payload AS payload,
       printf('%.1f', 100.0 * s.bytes / total.bytes) AS pct,
       printf('%.0f', 1.0 * s.bytes / events.n) AS per_event
FROM sizes AS s LEFT JOIN sqlite_schema AS m ON m.name = s.name,
     events, total
ORDER BY s.bytes DESC;
SELECT (SELECT COUNT(*) FROM audit_events) AS audit_events,
       (SELECT SUM(pgsize) FROM dbstat) AS bytes_in_pages,
       (SELECT page_count * page_size FROM pragma_page_count, pragma_page_size)
         AS file_bytes,
       printf('%.0f', 1.0 * (SELECT page_count * page_size
                             FROM pragma_page_count, pragma_page_size)
                      / MAX(1, (SELECT COUNT(*) FROM audit_events)))
         AS file_bytes_per_event;
SQL
