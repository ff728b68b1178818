#!/usr/bin/env bash
# Writes the fuzzers' seed corpus (tests/fuzz/corpus/NAME/) from valid
# encodings made by the real programs: a demo taskgated on a temporary
# database with a few tasks moved through review, then its stored audit
# events (canonical bytes), stored entity bodies (JSON), an export bundle
# and a checkpoint (the CLI), request messages (protoc --encode of text
# protos) and two small database files (page size 512: a fresh one and
# the demo's). The corpus is kept in the repository; run this only to
# renew it: tests/fuzz/make_seeds.sh build/services/taskgated build/clients/taskgate
# Regression inputs (corpus/NAME/regression-*) are kept as they are.
set -euo pipefail
taskgated="${1:?usage: make_seeds.sh TASKGATED TASKGATE}"
taskgate="${2:?usage: make_seeds.sh TASKGATED TASKGATE}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
corpus="$here/corpus"
work=$(mktemp -d)
trap 'kill -KILL "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

# serve DIR: taskgated on DIR/taskgate.db in the background ($pid, $port).
serve() {
  "$taskgated" --db "$1/taskgate.db" --admin-token-file "$1/admin.token" \
    --grpc-address 127.0.0.1:0 --http-address 127.0.0.1:0 "${@:2}" >"$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q "running" "$1.log" && break
    sleep 0.1
  done
  port=$(sed -n 's/.*gRPC on .*(port \([0-9]*\),.*/\1/p' "$1.log" | head -1)
  [ -n "$port" ] || { cat "$1.log"; exit 1; }
}

# A fresh database (no demo): district, admin and its token; its whole log
# as a bundle.
serve "$work/fresh"
"$taskgate" --address "127.0.0.1:$port" --token "$(cat "$work/fresh/admin.token")" \
  audit export --out "$work/whole.json" >/dev/null
kill -TERM "$pid"
wait "$pid" || true

serve "$work/var" --demo
tok() { awk -v p="$1" '$1==p{print $3}' "$work/var/demo-tokens.txt"; }
tg() { local who=$1; shift; "$taskgate" --address "127.0.0.1:$port" --token "$(tok "$who")" "$@"; }
month() { date -d "+$1 months" +%Y-%m-01; }
end_of() { date -d "$(month "$1") +1 month -1 day" +%F; }

# A clean task approved, one returned, one with R-CAPACITY acknowledged
# (xh-xiyuan is nearly full), one on the duty list, one rejected.
tg clerk-civil dept create --id seed-clean --submit --title '独居老人每月走访' --item ASSIST-004 \
  --legal-basis '《老年人权益保障法》第十八条' --community hp-chunhui --start "$(month 3)" --end "$(end_of 3)" \
  --hours 2 --funding 2000 --funding-source 区财政 --department-duties 提供名单 --community-duties 入户走访 \
  --authority 入户核实 --support 培训 --assessment 抽查 >/dev/null
tg reviewer-li review claim seed-clean >/dev/null
tg reviewer-li review approve seed-clean >/dev/null
tg clerk-health dept create --id seed-returned --submit --title '慢病随访' --item ASSIST-001 \
  --legal-basis '《统计法》第七条' --street 和平街道 --start "$(month 4)" --end "$(end_of 5)" \
  --hours 3 --funding 1000 --funding-source 区卫健委 --department-duties 培训 --community-duties 登记 \
  --type ledger --justify 'ledger=按月汇总' --forms-ledgers 1 >/dev/null
tg reviewer-li review claim seed-returned >/dev/null
tg reviewer-li review return seed-returned --reason '请补充经费来源' >/dev/null
tg clerk-civil dept create --id seed-full --submit --title '低保入户调查' --item ASSIST-002 \
  --legal-basis '《社会救助暂行办法》第十一条' --community xh-xiyuan --start "$(month 3)" --end "$(end_of 3)" \
  --hours 40 --funding 500 --funding-source 区民政局 --department-duties 审核 --community-duties 入户 >/dev/null
tg reviewer-li review claim seed-full >/dev/null
tg reviewer-li review approve seed-full --ack 'R-CAPACITY=已协调人手' >/dev/null || true
tg clerk-civil dept create --id seed-duty --submit --title '调解民间纠纷' --item DUTY-002 \
  --legal-basis '《人民调解法》第八条' --community hp-yuhua --start "$(month 2)" --end "$(end_of 2)" \
  --hours 1 >/dev/null || true
since=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
tg clerk-health dept create --id seed-negative --submit --title '招商引资任务指标' --item NEG-001 \
  --legal-basis 无 --community xh-donghu --start "$(month 2)" --end "$(end_of 2)" --hours 1 >/dev/null || true
# A slice of the log (the last task's events, with a range proof); the
# whole log is in the fresh database's bundle below.
tg auditor-zhao audit export --since "$since" --out "$work/bundle.json" >/dev/null
tg auditor-zhao audit checkpoint >"$work/checkpoint.json"
kill -TERM "$pid"
wait "$pid" || true

db="$work/var/taskgate.db"
q() { sqlite3 "$db" "$@"; }
# keep DIR NAME: a seed from standard input.
keep() { mkdir -p "$corpus/$1"; cat >"$corpus/$1/$2"; }
find "$corpus" -type f ! -name 'regression-*' -delete 2>/dev/null || true

# Audit events: every action's first event, canonical bytes.
for action in $(q "SELECT DISTINCT action FROM audit_events"); do
  q "SELECT hex(canonical) FROM audit_events WHERE action = '$action' ORDER BY seq LIMIT 1" |
    xxd -r -p | keep audit_event "$action"
done

# JSON bodies, each behind the json_codec selector byte (its % 12 picks the
# parser, as json_codec_fuzzer.cc numbers them).
json_seed() {  # SELECTOR NAME SQL
  local sel=$1 name=$2 sql=$3
  { printf "\\x$(printf %02x "$sel")"; q "$sql"; } | keep json_codec "$name"
}
json_seed 0 task-approved "SELECT body FROM tasks WHERE id = 'seed-clean'"
json_seed 0 task-returned "SELECT body FROM tasks WHERE id = 'seed-returned'"
json_seed 1 community "SELECT body FROM communities ORDER BY id LIMIT 1"
json_seed 2 catalog "SELECT body FROM catalog_versions ORDER BY version LIMIT 1"
json_seed 3 decision "SELECT body FROM decisions LIMIT 1"
json_seed 4 district "SELECT body FROM districts LIMIT 1"
json_seed 5 principal "SELECT body FROM principals WHERE id = 'office-chunhui'"
json_seed 6 credential "SELECT body FROM credentials LIMIT 1"
json_seed 10 fields "SELECT body FROM tasks WHERE id = 'seed-returned'"
printf '\x0b2026-02-28' | keep json_codec civil-day

keep bundle slice <"$work/bundle.json"
keep bundle whole <"$work/whole.json"
keep checkpoint demo <"$work/checkpoint.json"

# Requests: selector byte (request_fuzzer.cc's numbering), then the
# message encoded by protoc from its text form.
request_seed() {  # SELECTOR NAME MESSAGE TEXT
  { printf "\\x$(printf %02x "$1")"
    printf '%s' "$4" | protoc -I "$root/proto" --encode="taskgate.v1.$3" \
      taskgate/v1/task_service.proto taskgate/v1/admin_service.proto \
      taskgate/v1/community_service.proto; } | keep request "$2"
}
spec='title: "独居老人每月走访" description: "入户走访\n按月汇总" item_code: "ASSIST-004"
  legal_basis: "《老年人权益保障法》第十八条" start_date: "2027-03-01" end_date: "2027-03-31"
  target_communities: "hp-chunhui" hours_per_community_month: 2 funding_per_community_yuan: 2000
  funding_source: "区财政" types: TASK_TYPE_LEDGER type_justifications { key: "ledger" value: "按月汇总" }'
request_seed 0 create-task CreateTaskRequest "request_id: \"r-1\" task_id: \"t-1\" spec { $spec }"
request_seed 1 update-task UpdateTaskRequest "request_id: \"r-2\" task_id: \"t-1\" etag: \"3\" spec { $spec emergency: true emergency_reason: \"汛期\" }"
request_seed 2 approve TaskActionRequest 'request_id: "r-3" task_id: "t-1" etag: "4" reason: "同意" acknowledgements { rule_id: "R-CAPACITY" reason: "已协调" }'
request_seed 3 catalog PublishCatalogRequest 'request_id: "r-4" items { code: "ASSIST-001" kind: LIST_KIND_ASSIST title: "协助统计调查" legal_basis: "《统计法》" } items { code: "NEG-001" kind: LIST_KIND_NEGATIVE title: "招商引资" keywords: "招商引资" }'
request_seed 4 community PutCommunityRequest 'request_id: "r-5" community { id: "hp-chunhui" name: "春晖社区" street: "和平街道" staff_count: 6 baseline_hours: 60 }'
request_seed 5 principal CreatePrincipalRequest 'request_id: "r-6" principal { id: "clerk-1" role: ROLE_DEPARTMENT display_name: "经办人" department_id: "civil-affairs" }'
request_seed 6 complaint FileComplaintRequest 'request_id: "r-7" complaint { id: "c-1" title: "额外台账" description: "要求社区每周报表" department_id: "health" community_id: "hp-chunhui" }'

# Database files, small: page size 512, no WAL.
small_db() {  # SOURCE NAME
  cp "$1" "$work/small.db"
  sqlite3 "$work/small.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" >/dev/null
  keep db_file "$2" <"$work/small.db"
}
small_db "$work/fresh/taskgate.db" fresh
small_db "$db" demo
du -sh "$corpus"/*
