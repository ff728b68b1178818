#!/usr/bin/env bash
# Starts the real taskgated binary on a fresh database, stops it with SIGTERM,
# and checks that it exits 0 with the database intact; then checks that a
# file that is not a TaskGate database is refused and left unchanged.
set -euo pipefail
bin="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$bin" --db "$dir/var/taskgate.db" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "running" "$dir/log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/log"; echo "FAIL: taskgated exited early"; exit 1; }
  sleep 0.1
done
grep -q "running" "$dir/log" || { cat "$dir/log"; echo "FAIL: taskgated did not start"; exit 1; }
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$dir/log"; echo "FAIL: exit code $rc after SIGTERM"; exit 1; }
grep -q "stopped" "$dir/log" || { echo "FAIL: no clean stop logged"; exit 1; }

# Reopening finds the district and its creation event, and changes nothing.
"$bin" --db "$dir/var/taskgate.db" --check >"$dir/check" 2>&1
grep -q "1 audit events" "$dir/check" || { cat "$dir/check"; echo "FAIL: expected 1 audit event"; exit 1; }
[ "$(sqlite3 "$dir/var/taskgate.db" 'PRAGMA quick_check')" = "ok" ] || { echo "FAIL: quick_check"; exit 1; }

# A foreign file is refused and untouched.
printf 'these are the minutes of the street office meeting\n' >"$dir/notes.db"
before=$(sha256sum "$dir/notes.db")
if "$bin" --db "$dir/notes.db" --check >"$dir/foreign" 2>&1; then
  echo "FAIL: a foreign file was accepted"; exit 1
fi
grep -q "not a TaskGate database" "$dir/foreign" || { cat "$dir/foreign"; echo "FAIL: unclear error"; exit 1; }
[ "$(sha256sum "$dir/notes.db")" = "$before" ] || { echo "FAIL: foreign file changed"; exit 1; }
echo "PASS"
