#!/usr/bin/env bash
# The recovery of a lost admin credential (README, Credentials): `taskgated
# --issue-admin-token PRINCIPAL --out FILE` on the host. While a server runs
# it refuses (the server holds the database's lock; a second server is
# refused likewise); with the server stopped it issues a token whose secret
# only the file holds, the restarted server accepts it as the admin, the
# issue is in the audit log as a system event, and --verify-db still
# verifies the log.
set -euo pipefail
bin="$1"
cli="$2"
dir=$(mktemp -d)
trap 'kill -KILL "${pid:-0}" 2>/dev/null || true; rm -rf "$dir"' EXIT
var="$dir/var"
db="$var/taskgate.db"
flags=(--db "$db" --admin-token-file "$var/admin.token")

# start LOG: taskgated on the database, ports chosen by the kernel; sets pid
# and port.
start() {
  "$bin" "${flags[@]}" --grpc-address 127.0.0.1:0 --http-address "" >"$1" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q "running" "$1" && break
    kill -0 "$pid" 2>/dev/null || { cat "$1"; echo "FAIL: taskgated exited early"; exit 1; }
    sleep 0.1
  done
  grep -q "running" "$1" || { cat "$1"; echo "FAIL: taskgated did not start"; exit 1; }
  port=$(sed -n 's/.*gRPC on [^ ]* (port \([0-9]*\),.*/\1/p' "$1" | head -1)
  [ -n "$port" ] || { cat "$1"; echo "FAIL: no gRPC port logged"; exit 1; }
}
stop() {
  kill -TERM "$pid"
  local rc=0; wait "$pid" || rc=$?
  [ "$rc" -eq 0 ] || { echo "FAIL: exit code $rc after SIGTERM"; exit 1; }
}

start "$dir/log1"

# While it serves: the recovery refuses and writes nothing; so does a second
# server on the same file.
rc=0
"$bin" "${flags[@]}" --issue-admin-token admin --out "$dir/rescue.token" \
  >"$dir/busy" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$dir/busy"; echo "FAIL: recovery beside a live server exited $rc"; exit 1; }
grep -q "is in use by a running taskgated" "$dir/busy" || { cat "$dir/busy"; echo "FAIL: unclear refusal"; exit 1; }
grep -q "stop that server first" "$dir/busy" || { cat "$dir/busy"; echo "FAIL: no advice"; exit 1; }
[ ! -e "$dir/rescue.token" ] || { echo "FAIL: a token file beside a live server"; exit 1; }
rc=0
"$bin" "${flags[@]}" --grpc-address 127.0.0.1:0 --http-address "" >"$dir/second" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$dir/second"; echo "FAIL: a second server on the file exited $rc"; exit 1; }
grep -q "is in use by a running taskgated" "$dir/second" || { cat "$dir/second"; echo "FAIL: unclear refusal of a second server"; exit 1; }
stop

# The admin's token is lost.
rm "$var/admin.token"

# Usage errors: no --out; an --out that exists; a principal that is not an
# admin (none other exists yet: unknown).
rc=0
"$bin" "${flags[@]}" --issue-admin-token admin >"$dir/noout" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { cat "$dir/noout"; echo "FAIL: no --out exited $rc"; exit 1; }
echo keep >"$dir/exists"
rc=0
"$bin" "${flags[@]}" --issue-admin-token admin --out "$dir/exists" >"$dir/exists.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && [ "$(cat "$dir/exists")" = keep ] || { cat "$dir/exists.log"; echo "FAIL: an existing --out was not refused"; exit 1; }
rc=0
"$bin" "${flags[@]}" --issue-admin-token nobody --out "$dir/nobody.token" >"$dir/nobody" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && [ ! -e "$dir/nobody.token" ] && [ ! -e "$dir/nobody.token.new" ] ||
  { cat "$dir/nobody"; echo "FAIL: an unknown principal got a token"; exit 1; }

before=$(sqlite3 "$db" "SELECT max(seq) FROM audit_events")
"$bin" "${flags[@]}" --issue-admin-token admin --out "$dir/rescue.token" >"$dir/issued" 2>&1 ||
  { cat "$dir/issued"; echo "FAIL: recovery with the server stopped"; exit 1; }
[ "$(stat -c %a "$dir/rescue.token")" = "600" ] || { echo "FAIL: token file mode"; exit 1; }
token=$(cat "$dir/rescue.token")
case "$token" in tg_*) ;; *) echo "FAIL: token file content"; exit 1 ;; esac
if grep -qF "$token" "$dir/issued"; then echo "FAIL: secret printed"; exit 1; fi
token_id=$(sed -n 's/^Issued token \(tok-[0-9a-f]*\) to admin admin;.*/\1/p' "$dir/issued")
[ -n "$token_id" ] || { cat "$dir/issued"; echo "FAIL: no token id reported"; exit 1; }

# One event, by the system, saying what happened.
[ "$(sqlite3 "$db" "SELECT max(seq) FROM audit_events")" -eq $((before + 1)) ] || { echo "FAIL: not one event"; exit 1; }
event=$(sqlite3 "$db" "SELECT actor_id, action, state_after FROM audit_events
  WHERE entity_type = 'credential' AND entity_id = '$token_id'")
[ "$event" = "system|credential.issue|active" ] || { echo "FAIL: event '$event'"; exit 1; }
sqlite3 "$db" "SELECT reason FROM audit_events WHERE entity_id = '$token_id'" |
  grep -q "recovery of a lost admin credential" || { echo "FAIL: no reason"; exit 1; }

# The restarted server takes the new token as the admin's.
start "$dir/log2"
TASKGATE_TOKEN="" "$cli" --address "127.0.0.1:$port" --token-file "$dir/rescue.token" \
  --retries 0 -o name admin tokens list --principal admin >"$dir/tokens" 2>&1 ||
  { cat "$dir/tokens"; echo "FAIL: the recovered token was not accepted"; exit 1; }
grep -qx "$token_id" "$dir/tokens" || { cat "$dir/tokens"; echo "FAIL: the new token is not listed"; exit 1; }
stop

# Signed at shutdown with the rest, and the whole log verifies.
"$bin" "${flags[@]}" --verify-db "$db" >"$dir/verify" 2>&1 ||
  { cat "$dir/verify"; echo "FAIL: --verify-db"; exit 1; }
events=$(sqlite3 "$db" "SELECT max(seq) FROM audit_events")
grep -qx "VERIFIED: $events events (seq 1..$events)" "$dir/verify" || { cat "$dir/verify"; echo "FAIL: not verified"; exit 1; }
echo "PASS"
