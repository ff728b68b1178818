#!/usr/bin/env bash
# `taskgated --verify-db` as an auditor runs it: on the database a demo
# server leaves after SIGTERM (exit 0, VERIFIED), with the public key and a
# kept checkpoint; then on copies tampered with the sqlite3 shell, each
# pinpointed (exit 1, "FAILED: first bad event is seq N"); a wrong --pubkey
# (exit 1); and a file that is not there (exit 2).
set -euo pipefail
bin="$1"
dir=$(mktemp -d)
trap 'kill -KILL "${pid:-0}" 2>/dev/null || true; rm -rf "$dir"' EXIT
var="$dir/var"
db="$var/taskgate.db"
key="$var/signing.key"

"$bin" --demo --db "$db" --admin-token-file "$var/admin.token" \
  --signing-key-file "$key" \
  --grpc-address 127.0.0.1:0 --http-address 127.0.0.1:0 >"$dir/log" 2>&1 &
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

events=$(sqlite3 "$db" "SELECT max(seq) FROM audit_events")
[ "$events" -ge 20 ] || { echo "FAIL: the demo left only $events events"; exit 1; }

# verify FILE EXPECTED_EXIT OUT [flags...]: runs --verify-db, checks the
# exit code, and leaves the report in OUT.
verify() {
  local file="$1" want="$2" out="$3"
  shift 3
  local got=0
  "$bin" --verify-db "$file" "$@" >"$out" 2>"$out.err" || got=$?
  if [ "$got" -ne "$want" ]; then
    cat "$out" "$out.err"
    echo "FAIL: --verify-db $file $* exited $got, expected $want"
    exit 1
  fi
}
expect_line() {
  grep -qxF "$2" "$1" || { cat "$1"; echo "FAIL: no line '$2'"; exit 1; }
}

verify "$db" 0 "$dir/clean" --signing-key-file "$key"
expect_line "$dir/clean" "VERIFIED: $events events (seq 1..$events)"

# The checkpoint an auditor keeps (`taskgate audit checkpoint`), written
# from the newest stored one as docs/checkpoint-format.md lays it out.
IFS='|' read -r log_id size root micros key_id sig_hex < <(sqlite3 "$db" \
  "SELECT log_id, tree_size, lower(hex(root_hash)), time, key_id, hex(signature)
   FROM checkpoints ORDER BY tree_size DESC LIMIT 1")
[ "$size" -eq "$events" ] || { echo "FAIL: newest checkpoint covers $size of $events"; exit 1; }
time_text="$(date -u -d "@$((micros / 1000000))" +%Y-%m-%dT%H:%M:%S).$(printf '%06d' $((micros % 1000000)))Z"
signature=$(printf '%b' "$(printf '%s' "$sig_hex" | sed 's/../\\x&/g')" | base64 -w0)
cat >"$dir/kept.json" <<EOF
{
  "format": "taskgate-checkpoint/v1",
  "log_id": "$log_id",
  "tree_size": $size,
  "root_hash": "$root",
  "time": "$time_text",
  "time_unix_micros": $micros,
  "key_id": "$key_id",
  "signature": "$signature"
}
EOF
verify "$db" 0 "$dir/kept" --signing-key-file "$key" --checkpoint "$dir/kept.json"
grep -q "matches your kept checkpoint of size $events" "$dir/kept" || { cat "$dir/kept"; echo "FAIL: kept checkpoint not checked"; exit 1; }

if command -v openssl >/dev/null; then
  openssl pkey -in "$key" -pubout -out "$dir/pub.pem"
  verify "$db" 0 "$dir/pub" --pubkey "$dir/pub.pem"
  expect_line "$dir/pub" "VERIFIED: $events events (seq 1..$events)"
fi

# Someone else's key (RFC 8032 §7.1 TEST 1): every signature is refused.
cat >"$dir/wrong.pem" <<'EOF'
-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
-----END PUBLIC KEY-----
EOF
verify "$db" 1 "$dir/wrong" --pubkey "$dir/wrong.pem"
grep -q "not by the key given" "$dir/wrong" || { cat "$dir/wrong"; echo "FAIL: no key mismatch reported"; exit 1; }
grep -q "^FAILED: " "$dir/wrong" || { cat "$dir/wrong"; echo "FAIL: no FAILED line"; exit 1; }

# tamper NAME SQL: a copy of the database with SQL applied by the sqlite3
# shell, the append-only triggers dropped first.
tamper() {
  local copy="$dir/$1.db"
  sqlite3 "$db" ".backup '$copy'"
  sqlite3 "$copy" "
    DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;
    DROP TRIGGER audit_event_communities_no_update;
    DROP TRIGGER audit_event_communities_no_delete;
    DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;
    BEGIN; $2; COMMIT;"
  echo "$copy"
}

k=$((events / 2))

copy=$(tamper edited "UPDATE audit_events SET reason = 'nothing to see' WHERE seq = $k")
verify "$copy" 1 "$dir/edited" --signing-key-file "$key" --checkpoint "$dir/kept.json"
expect_line "$dir/edited" "FAILED: first bad event is seq $k"

copy=$(tamper deleted "DELETE FROM audit_event_communities WHERE seq = $k;
  DELETE FROM audit_events WHERE seq = $k")
verify "$copy" 1 "$dir/deleted" --signing-key-file "$key" --checkpoint "$dir/kept.json"
expect_line "$dir/deleted" "FAILED: first bad event is seq $k"

j=$((k + 3))
copy=$(tamper swapped "UPDATE audit_events SET seq = 1000000 WHERE seq = $k;
  UPDATE audit_events SET seq = $k WHERE seq = $j;
  UPDATE audit_events SET seq = $j WHERE seq = 1000000")
verify "$copy" 1 "$dir/swapped" --signing-key-file "$key" --checkpoint "$dir/kept.json"
expect_line "$dir/swapped" "FAILED: first bad event is seq $k"

# The tail cut with the checkpoints that covered it: the log alone looks
# whole, but the tables still hold what the cut events wrote; the kept
# checkpoint shows the cut.
copy=$(tamper truncated "DELETE FROM audit_event_communities WHERE seq > $k;
  DELETE FROM audit_events WHERE seq > $k;
  DELETE FROM checkpoints WHERE tree_size > $k")
verify "$copy" 1 "$dir/truncated-alone" --signing-key-file "$key"
grep -q "^FAILED: the log verifies, but .* stored row(s) differ from what it says" \
  "$dir/truncated-alone" || { cat "$dir/truncated-alone"; echo "FAIL: the tables were not checked against the cut log"; exit 1; }
verify "$copy" 1 "$dir/truncated" --signing-key-file "$key" --checkpoint "$dir/kept.json"
expect_line "$dir/truncated" "FAILED: first bad event is seq $((k + 1))"

# Rows edited with the log left intact: each named with its entity and
# field, while the log itself still verifies.
community=$(sqlite3 "$db" "SELECT min(id) FROM communities")
principal=$(sqlite3 "$db" "SELECT min(id) FROM principals WHERE role = 'reviewer'")
copy=$(tamper rows "UPDATE communities SET body = json_set(body,
    '\$.monthly_capacity_hours', 999.0) WHERE id = '$community';
  UPDATE catalog_versions SET body = json_set(body, '\$.items[0].kind',
    'negative') WHERE version = 1;
  UPDATE principals SET role = 'admin' WHERE id = '$principal'")
verify "$copy" 1 "$dir/rows" --signing-key-file "$key" --checkpoint "$dir/kept.json"
for line in \
  "TABLES: community $community field monthly_capacity_hours is \"999.0\" in the tables" \
  "TABLES: catalog 1 field items is " \
  "TABLES: principal $principal: column role is \"admin\" but the body's role says \"reviewer\""; do
  grep -qF "$line" "$dir/rows" || { cat "$dir/rows"; echo "FAIL: no line with '$line'"; exit 1; }
done
grep -q "^FAILED: the log verifies, but 3 stored row(s) differ" "$dir/rows" ||
  { cat "$dir/rows"; echo "FAIL: wrong last line"; exit 1; }

# Nothing to check: exit 2, and no report.
verify "$dir/no-such.db" 2 "$dir/missing" --signing-key-file "$key"
[ ! -s "$dir/missing" ] || { cat "$dir/missing"; echo "FAIL: a report for a missing file"; exit 1; }
grep -q "no such file" "$dir/missing.err" || { cat "$dir/missing.err"; echo "FAIL: unclear error"; exit 1; }
[ ! -e "$dir/no-such.db" ] || { echo "FAIL: --verify-db created the file"; exit 1; }
echo "PASS"
