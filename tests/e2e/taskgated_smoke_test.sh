#!/usr/bin/env bash
# Starts the real taskgated binary on a fresh database (ports chosen by the
# kernel), checks /healthz, the 0600 admin token and database files in a
# 0700 folder, stops it with
# SIGTERM, and checks that it exits 0 with the database intact; then checks
# that a file that is not a TaskGate database is refused and left unchanged.
set -euo pipefail
bin="$1"
dir=$(mktemp -d)
trap 'kill -KILL "${pid:-0}" 2>/dev/null || true; rm -rf "$dir"' EXIT

"$bin" --db "$dir/var/taskgate.db" --admin-token-file "$dir/var/admin.token" \
  --grpc-address 127.0.0.1:0 --http-address 127.0.0.1:0 >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "running" "$dir/log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/log"; echo "FAIL: taskgated exited early"; exit 1; }
  sleep 0.1
done
grep -q "running" "$dir/log" || { cat "$dir/log"; echo "FAIL: taskgated did not start"; exit 1; }

# The running line names the ports the kernel chose: "... (port N); ...".
http_port=$(sed -n 's/.*HTTP .*(port \([0-9]*\)).*/\1/p' "$dir/log" | head -1)
[ -n "$http_port" ] || { cat "$dir/log"; echo "FAIL: no HTTP port logged"; exit 1; }
if command -v curl >/dev/null; then
  [ "$(curl -s "http://127.0.0.1:$http_port/healthz")" = "SERVING" ] || { echo "FAIL: /healthz"; exit 1; }
  curl -s "http://127.0.0.1:$http_port/metrics" | grep -q "^taskgate_review_queue_depth 0" || { echo "FAIL: /metrics"; exit 1; }
fi

# The first start created the admin token: owner-only, never in the log.
[ "$(stat -c %a "$dir/var/admin.token")" = "600" ] || { echo "FAIL: token file mode"; exit 1; }
# So are the database, its WAL and shared-memory files, and their folder.
for f in taskgate.db taskgate.db-wal taskgate.db-shm; do
  [ "$(stat -c %a "$dir/var/$f")" = "600" ] || { ls -l "$dir/var"; echo "FAIL: $f mode"; exit 1; }
done
[ "$(stat -c %a "$dir/var")" = "700" ] || { echo "FAIL: database folder mode"; exit 1; }
token=$(cat "$dir/var/admin.token")
case "$token" in tg_*) ;; *) echo "FAIL: token file content"; exit 1 ;; esac
if grep -qF "$token" "$dir/log"; then echo "FAIL: token printed"; exit 1; fi
events=$(sed -n 's/.*, \([0-9]*\) audit events.*/\1/p' "$dir/log" | head -1)
[ -n "$events" ] || { cat "$dir/log"; echo "FAIL: no event count logged"; exit 1; }

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$dir/log"; echo "FAIL: exit code $rc after SIGTERM"; exit 1; }
grep -q "stopped" "$dir/log" || { echo "FAIL: no clean stop logged"; exit 1; }

# Reopening finds the district, its creation event and the bootstrap, and
# changes nothing (no second admin).
"$bin" --db "$dir/var/taskgate.db" --admin-token-file "$dir/var/admin.token" --check >"$dir/check" 2>&1
grep -q " $events audit events" "$dir/check" || { cat "$dir/check"; echo "FAIL: expected $events audit events"; exit 1; }
[ "$token" = "$(cat "$dir/var/admin.token")" ] || { echo "FAIL: token file rewritten"; exit 1; }
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
