#!/usr/bin/env bash
# One district month through the taskgate CLI only, against a real taskgated
# on a temporary database. The script plays the operator (no --demo data),
# then three departments, two reviewers, a community office and an
# inspector. Every step is checked against SPEC.md; the first step that does
# not behave stops the script with a non-zero code.
#
# Usage: deploy/demo.sh [TASKGATED] [TASKGATE]
#   (default: build/services/taskgated and build/clients/taskgate)
set -euo pipefail

TASKGATED=${1:-build/services/taskgated}
TASKGATE=${2:-build/clients/taskgate}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/taskgate-demo.XXXXXX")
SERVER_PID=""
WATCH_PID=""

cleanup() {
  if [[ -n "$WATCH_PID" ]]; then kill "$WATCH_PID" 2>/dev/null || true; fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }

# tg AS ARGS...: the CLI as principal AS (a name in $WORK/tokens).
tg() {
  local who=$1; shift
  # The token through the environment, not --token: other local users can
  # read a command line in ps.
  TASKGATE_TOKEN="$(awk -v p="$who" '$1==p{print $2}' "$WORK/tokens")" \
    "$TASKGATE" --address "$ADDRESS" --retries 0 "$@"
}
# expect CODE AS ARGS...: runs tg, shows its output, checks the exit code.
expect() {
  local want=$1; shift
  local got=0
  printf '$ taskgate %s\n' "${*:2}"
  tg "$@" || got=$?
  [[ "$got" == "$want" ]] || fail "taskgate ${*:2}: exit code $got, expected $want"
}
# state_is AS TASK STATE: the task's state as read by AS.
state_is() {
  local json
  json=$(tg "$1" dept show "$2" --output json)
  grep -q "\"state\": \"TASK_STATE_$3\"" <<<"$json" ||
    fail "task $2 should be $3: $(grep '"state"' <<<"$json")"
  echo "   -> task $2 is $3"
}
has_finding() {
  tg "$1" dept show "$2" --output json | grep -q "\"rule_id\": \"$3\"" ||
    fail "task $2 should have finding $3"
  echo "   -> task $2 has finding $3"
}
no_findings() {
  if tg "$1" dept show "$2" --output json | grep -q '"rule_id"'; then
    fail "task $2 should have no finding"
  fi
  echo "   -> task $2 has no finding"
}
day() { date -d "+$1 days" +%F; }
# public_list COMMUNITY TASK...: the public list (公示) of COMMUNITY, read
# with no token at all, holds exactly TASK... (in id order), and no
# reviewer or reason.
public_list() {
  local community=$1; shift
  local got want json
  got=$(tg nobody public tasks --community "$community" --output name | tr '\n' ' ')
  want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  [[ "$got" == "$want" ]] ||
    fail "public list of $community should be [$want], is [$got]"
  json=$(tg nobody public tasks --community "$community" --output json)
  if grep -qE 'rev-li|rev-wang|请分批|费随事转）' <<<"$json"; then
    fail "the public list of $community shows a reviewer or a reason"
  fi
  echo "   -> the public list of $community is [$got]"
}

step "The operator starts taskgated on an empty database"
"$TASKGATED" --db "$WORK/taskgate.db" --grpc-address 127.0.0.1:0 \
  --http-address 127.0.0.1:0 --admin-token-file "$WORK/admin.token" \
  --log-level info >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  [[ -s "$WORK/admin.token" ]] && grep -q "running" "$WORK/server.log" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "taskgated exited: $(cat "$WORK/server.log")"
  sleep 0.1
done
# Port 0 lets the kernel choose; the start line names the port.
PORT=$(sed -n 's/.*taskgated running: gRPC on [^ ]* (port \([0-9]*\),.*/\1/p' "$WORK/server.log" | head -1)
[[ -n "$PORT" ]] || fail "cannot find the port of taskgated"
ADDRESS=127.0.0.1:$PORT
HTTP_PORT=$(sed -n 's/.*HTTP [^(]*(port \([0-9]*\)).*/\1/p' "$WORK/server.log" | head -1)
[[ -n "$HTTP_PORT" ]] || fail "cannot find the HTTP port of taskgated"
echo "admin $(cat "$WORK/admin.token")" >"$WORK/tokens"
echo "taskgated pid $SERVER_PID listens on $ADDRESS"

step "The operator publishes the catalog (duty, assist and negative lists)"
cat >"$WORK/catalog.toml" <<'TOML'
note = "district lists, first version"
[[items]]
code = "DUTY-001"
kind = "duty"
title = "调解民间纠纷"
legal_basis = "《城市居民委员会组织法》第三条"
[[items]]
code = "ASSIST-001"
kind = "assist"
title = "协助开展人口普查和经常性统计调查"
legal_basis = "《统计法》第七条"
[[items]]
code = "ASSIST-004"
kind = "assist"
title = "协助开展独居、空巢老年人关爱服务"
legal_basis = "《老年人权益保障法》第十八条"
[[items]]
code = "NEG-001"
kind = "negative"
title = "招商引资任务指标"
keywords = ["招商引资"]
TOML
expect 0 admin admin catalog publish "$WORK/catalog.toml"
expect 0 admin admin catalog show

step "The operator publishes the official 2026 working-day calendar (holidays and 调休 make-up days)"
# 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04): each holiday period
# and the Saturdays or Sundays worked for it. Review deadlines count with it.
expect 0 admin admin calendar publish --year 2026 \
  --holiday 2026-01-01..2026-01-03 --workday 2026-01-04 \
  --holiday 2026-02-15..2026-02-23 --workday 2026-02-14 --workday 2026-02-28 \
  --holiday 2026-04-04..2026-04-06 \
  --holiday 2026-05-01..2026-05-05 --workday 2026-05-09 \
  --holiday 2026-06-19..2026-06-21 \
  --holiday 2026-09-25..2026-09-27 \
  --holiday 2026-10-01..2026-10-07 --workday 2026-09-20 --workday 2026-10-10 \
  --note "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）"
expect 0 admin admin calendar show --year 2026
echo "   (a make-up working day must be a Saturday or Sunday: a Monday is refused)"
expect 7 admin admin calendar publish --year 2026 --workday 2026-10-05

step "The operator registers the departments (职能部门) and streets (街道) by id"
expect 0 admin admin department put civil-affairs 区民政局
expect 0 admin admin department put housing 区住建局
expect 0 admin admin department put health 区卫健委
expect 0 admin admin department put planning 区发改委
expect 0 admin admin street put heping 和平街道
expect 0 admin admin street put xinhua 新华街道
expect 0 admin admin department list
expect 0 admin admin street list

step "The operator registers the communities, each in its street, and their capacity"
expect 0 admin admin communities put --id c-east-1 --name 春晖社区 --street-id heping --staff 5 --baseline-hours 20
expect 0 admin admin communities put --id c-east-2 --name 青年社区 --street-id heping --staff 4 --baseline-hours 30
expect 0 admin admin communities put --id c-west-1 --name 东湖社区 --street-id xinhua --staff 6 --baseline-hours 40
expect 0 admin admin communities list

step "The operator creates principals and issues their tokens"
expect 0 admin admin principals create --id clerk-civil --role department --department civil-affairs --name "区民政局 经办人"
expect 0 admin admin principals create --id clerk-housing --role department --department housing --name "区住建局 经办人"
expect 0 admin admin principals create --id clerk-health --role department --department health --name "区卫健委 经办人"
expect 0 admin admin principals create --id rev-li --role reviewer --home-department planning --name "审核 李"
expect 0 admin admin principals create --id rev-wang --role reviewer --name "审核 王"
expect 0 admin admin principals create --id office-east-1 --role community --community c-east-1 --name "春晖社区居委会"
expect 0 admin admin principals create --id inspector --role auditor --name "区纪委监委 赵"
for p in clerk-civil clerk-housing clerk-health rev-li rev-wang office-east-1 inspector; do
  secret=$(tg admin admin tokens issue "$p" --description demo --output name)
  [[ -n "$secret" ]] || fail "no token issued for $p"
  echo "$p $secret" >>"$WORK/tokens"
  echo "issued a token to $p"
done
expect 0 admin admin principals list

step "Every role reads the calendar; only the operator publishes it"
json=$(tg clerk-civil admin calendar show --year 2026 --output json)
grep -q '"2026-02-14"' <<<"$json" || fail "the clerk should see the make-up Saturday 2026-02-14"
echo "   -> the clerk sees the make-up Saturday 2026-02-14"
expect 0 office-east-1 admin calendar list
expect 4 clerk-civil admin calendar publish --year 2026 --holiday 2026-12-31

START=$(day 40)
END=$(day 100)
common=(--legal-basis "《老年人权益保障法》第十八条" --start "$START" --end "$END"
  --department-duties "提供名单和表格" --community-duties "入户走访"
  --assessment "纳入区年度综合评价")

step "Housing submits a task on the negative list: the system rejects it"
NEG=$(tg clerk-housing dept create --output name --id t-invest --item ASSIST-001 \
  --title "社区招商引资任务分解" --community c-east-1 --hours 8 --funding 1000 \
  --funding-source 区财政 "${common[@]}")
expect 0 clerk-housing dept submit "$NEG"
state_is clerk-housing "$NEG" REJECTED
has_finding clerk-housing "$NEG" R-NEGATIVE

step "Health submits a task that would push 春晖社区 over its capacity"
OVER=$(tg clerk-health dept create --output name --id t-survey --item ASSIST-001 \
  --title "慢性病人群入户调查" --community c-east-1 --hours 90 --funding 5000 \
  --funding-source 区卫健委 "${common[@]}")
expect 0 clerk-health dept submit "$OVER"
state_is clerk-health "$OVER" SUBMITTED
has_finding clerk-health "$OVER" R-CAPACITY

step "Civil affairs submits a clean, funded assist-list task"
CLEAN=$(tg clerk-civil dept create --output name --id t-elderly --item ASSIST-004 \
  --title "独居老人每月走访" --community c-east-1 --hours 6 --funding 2000 \
  --funding-source 区民政局 "${common[@]}")
printf '区民政局关于开展独居老人每月走访工作的通知\n经费由区财政列支，每社区每月2000元。\n' \
  >"$WORK/走访通知.txt"
expect 0 clerk-civil dept attach "$CLEAN" "$WORK/走访通知.txt"
expect 0 clerk-civil dept submit "$CLEAN"
state_is clerk-civil "$CLEAN" SUBMITTED
no_findings clerk-civil "$CLEAN"

step "The reviewer downloads the policy document (依据文件); its SHA-256 matches"
expect 0 rev-li review attachments list "$CLEAN"
expect 0 rev-li review attachments get "$CLEAN" 走访通知.txt --out "$WORK/downloaded.txt"
[[ "$(sha256sum <"$WORK/走访通知.txt")" == "$(sha256sum <"$WORK/downloaded.txt")" ]] ||
  fail "the downloaded attachment differs from the one attached"
echo "   -> sha256 $(sha256sum <"$WORK/downloaded.txt" | cut -d' ' -f1) matches"
echo "   (another department may not read it; nothing is attached once submitted)"
expect 4 clerk-housing dept attachments list "$CLEAN"
expect 5 clerk-civil dept attach "$CLEAN" "$WORK/走访通知.txt" --name again.txt

step "Civil affairs submits a duty-list task: admitted at once"
DUTY=$(tg clerk-civil dept create --output name --id t-mediation --item DUTY-001 \
  --title "邻里纠纷调解" --community c-east-1 --hours 4 "${common[@]}")
expect 0 clerk-civil dept submit "$DUTY"
state_is clerk-civil "$DUTY" ACTIVE

step "Civil affairs forgets the funding of a census task"
RET=$(tg clerk-civil dept create --output name --id t-census --item ASSIST-001 \
  --title "人口抽样调查入户登记" --street-id heping --hours 5 "${common[@]}")
expect 0 clerk-civil dept submit "$RET"
reached=$(tg clerk-civil dept show "$RET" --output json | tr -d ' \n')
grep -q '"resolved_communities":\["c-east-1","c-east-2"\]' <<<"$reached" ||
  fail "the census task should reach the communities of street heping (和平街道)"
echo "   -> street heping (和平街道) expanded to c-east-1 and c-east-2"
state_is clerk-civil "$RET" SUBMITTED
has_finding clerk-civil "$RET" R-FUNDING

step "Health asks for a new item (清单外事项): two approvals needed"
NEW=$(tg clerk-health dept create --output name --id t-vaccine \
  --title "疫苗接种信息核对" --new-item-justification "新增的国家免疫规划任务" \
  --community c-west-1 --hours 3 --funding 800 --funding-source 区卫健委 "${common[@]}")
expect 0 clerk-health dept submit "$NEW"
state_is clerk-health "$NEW" SUBMITTED
has_finding clerk-health "$NEW" R-NEW-ITEM

step "A resident reads the public list (公示) before the reviews, with no token"
expect 0 nobody public communities
expect 0 nobody public tasks --community c-east-1
public_list c-east-1 "$DUTY"

step "Civil affairs follows its events (taskgate watch, 关注事件) instead of polling"
# In the background, from now on: one JSON object per line as events come.
TASKGATE_TOKEN="$(awk '$1=="clerk-civil"{print $2}' "$WORK/tokens")" \
  "$TASKGATE" --address "$ADDRESS" watch --after "$(tg inspector audit tree-head --output json |
  sed -n 's/.*"tree_size": "\{0,1\}\([0-9]*\).*/\1/p')" --output json \
  >"$WORK/watch.jsonl" 2>"$WORK/watch.err" &
WATCH_PID=$!
echo "   (taskgate watch runs as clerk-civil, writing $WORK/watch.jsonl)"

step "Reviewer 李 works the queue"
expect 0 rev-li review queue
expect 0 rev-li review claim "$OVER"
expect 0 rev-li review show "$OVER"
echo "   (approving without acknowledging R-CAPACITY is refused locally)"
expect 2 rev-li review approve "$OVER"
expect 0 rev-li review reject "$OVER" --reason "春晖社区本月已近满负荷，请分批或改由卫健委自行组织"
state_is rev-li "$OVER" REJECTED

expect 0 rev-li review claim "$CLEAN"
expect 0 rev-li review approve "$CLEAN"
state_is rev-li "$CLEAN" ACTIVE

step "The clerk's watcher saw the decision as it was committed"
for _ in $(seq 1 100); do
  grep -q "\"action\":\"task.approve\",\"entity_type\":\"task\",\"entity_id\":\"$CLEAN\"" \
    "$WORK/watch.jsonl" && break
  sleep 0.1
done
grep -q "\"action\":\"task.approve\",\"entity_type\":\"task\",\"entity_id\":\"$CLEAN\"" \
  "$WORK/watch.jsonl" || fail "the watcher did not see $CLEAN approved: $(cat "$WORK/watch.jsonl" "$WORK/watch.err")"
grep -q '"event"' "$WORK/watch.jsonl" || fail "the watcher printed no event"
if grep '"event"' "$WORK/watch.jsonl" | grep -vq '"department_id":"civil-affairs"'; then
  fail "the civil-affairs watcher saw another department's event"
fi
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
WATCH_PID=""
echo "   -> the watcher printed $(grep -c '"event"' "$WORK/watch.jsonl") events of civil affairs, the approval of $CLEAN among them"

step "A BLOCK finding cannot be approved: the census task is returned"
expect 0 rev-li review claim "$RET"
expect 5 rev-li review approve "$RET"
expect 0 rev-li review return "$RET" --reason "请补充经费（费随事转）"
state_is clerk-civil "$RET" RETURNED

step "Civil affairs adds the funding and resubmits"
expect 0 clerk-civil dept edit "$RET" --funding 1500 --funding-source 区统计局
expect 0 clerk-civil dept submit "$RET"
state_is clerk-civil "$RET" SUBMITTED
expect 0 rev-wang review claim "$RET"
expect 0 rev-wang review approve "$RET"
state_is clerk-civil "$RET" ACTIVE

step "The new item gets two approvals from two reviewers"
expect 0 rev-li review claim "$NEW"
expect 0 rev-li review approve "$NEW" --ack "R-NEW-ITEM=国家免疫规划的新增任务，经费到位"
state_is rev-li "$NEW" SUBMITTED
echo "   (the first approver cannot claim it again)"
expect 4 rev-li review claim "$NEW"
expect 0 rev-wang review claim "$NEW"
expect 0 rev-wang review approve "$NEW" --ack "R-NEW-ITEM=同意，第二审核人"
state_is rev-wang "$NEW" ACTIVE

step "The public list after the reviews: admitted tasks only, never the rejected one"
expect 0 nobody public tasks --community c-east-1
public_list c-east-1 "$CLEAN" "$DUTY" "$RET"
public_list c-west-1 "$NEW"
tg nobody public tasks --community c-west-1 --output json | grep -q '"department_name": "区卫健委"' ||
  fail "the public list should show the health department's name 区卫健委"
echo "   -> the public list names the department: 区卫健委"
printf '$ curl http://127.0.0.1:%s/public/v1/communities/c-east-1/tasks\n' "$HTTP_PORT"
http_json=$(curl -sf "http://127.0.0.1:$HTTP_PORT/public/v1/communities/c-east-1/tasks") ||
  fail "GET /public/v1/communities/c-east-1/tasks failed"
echo "$http_json"
for task in "$CLEAN" "$DUTY" "$RET"; do
  grep -q "\"id\":\"$task\"" <<<"$http_json" || fail "the HTTP public list misses $task"
done
if grep -qE "$OVER|$NEG|rev-li" <<<"$http_json"; then
  fail "the HTTP public list shows a rejected task or a reviewer"
fi
echo "   -> the same tasks as JSON over HTTP, no token"

step "春晖社区 sees its workload, acknowledges, and reports missing funding"
expect 0 office-east-1 community workload
expect 0 office-east-1 community ack "$CLEAN"
expect 0 office-east-1 community report-funding "$CLEAN" --note "承诺每社区2000元，至今未到账"
expect 0 rev-li review funding-reports --task "$CLEAN"

step "春晖社区 complains about a task pushed outside TaskGate"
expect 0 office-east-1 community complain --department housing \
  --title "口头要求社区报送房屋安全台账" --description "未经准入，微信群布置，要求三天内完成"
expect 0 rev-li review complaints

step "The inspector reads the record"
expect 0 inspector audit history "$RET"
# The history says what the edit changed, from what to what.
tg inspector audit history "$RET" >"$WORK/history.txt"
grep -q "spec.funding_per_community_yuan: (empty) -> 1500" "$WORK/history.txt" ||
  fail "the history does not show the edit's funding change"
echo "   -> the edit shows spec.funding_per_community_yuan: (empty) -> 1500"
expect 4 inspector dept create --title "inspectors never change anything"
expect 0 inspector audit tree-head
tg inspector audit events --action calendar.publish --output json >"$WORK/calendar.json"
grep -q '"makeup_workdays": "2026-01-04,2026-02-14,2026-02-28,2026-05-09,2026-09-20,2026-10-10"' \
  "$WORK/calendar.json" || fail "the calendar.publish event should hold the year's make-up days"
echo "   -> the calendar.publish event holds the whole year"
tg inspector audit events --since "$(date +%F)" --output json >"$WORK/month.json"
EVENTS=$(grep -c '"seq":' "$WORK/month.json" || true)
[[ "$EVENTS" -gt 40 ]] || fail "the month's export has only $EVENTS events"
grep -q '"items"' "$WORK/month.json" || fail "the export is not {\"items\": [...]}"
echo "   -> exported $EVENTS events of the month as JSON ($(wc -c <"$WORK/month.json") bytes)"
FROM=$(date +%Y-%m-01)
TO=$(date -d "$FROM +1 month" +%F)
expect 0 inspector audit stats --from "$FROM" --to "$TO"
tg inspector audit stats --from "$FROM" --to "$TO" --output json >"$WORK/stats.json"
grep -q '"rejected_by_negative_list": 1' "$WORK/stats.json" ||
  fail "the statistics should count one negative-list rejection"
echo "   -> statistics count the negative-list rejection"
grep -q '"department_name": "区民政局"' "$WORK/stats.json" ||
  fail "the statistics should show civil-affairs by its name 区民政局"
echo "   -> statistics show each department's name (civil-affairs: 区民政局)"

step "The inspector keeps a signed checkpoint, exports the month, verifies it offline"
expect 0 inspector audit pubkey --out "$WORK/district.pub.pem"
expect 0 inspector audit checkpoint --pubkey "$WORK/district.pub.pem" --out "$WORK/kept.json"
# The log goes on after the checkpoint: the inspector's own query is recorded.
expect 0 inspector audit events --action audit.export
expect 0 inspector audit export --from "$FROM" --to "$TO" \
  --checkpoint "$WORK/kept.json" --out "$WORK/month.bundle.json"
# Offline: no address, no token.
"$TASKGATE" audit verify "$WORK/month.bundle.json" \
  --pubkey "$WORK/district.pub.pem" --checkpoint "$WORK/kept.json" ||
  fail "the month's bundle does not verify"
# Offline too: the returned task as the record says it stands now.
"$TASKGATE" audit state "$WORK/month.bundle.json" "$RET" >"$WORK/state.txt" ||
  fail "the task's state cannot be rebuilt from the bundle"
cat "$WORK/state.txt"
grep -q "^  spec.funding_per_community_yuan: 1500$" "$WORK/state.txt" ||
  fail "the rebuilt state lacks the edited funding"
# One edited byte inside one event's canonical bytes must be caught.
sed '0,/"canonical": "02/s//"canonical": "00/' "$WORK/month.bundle.json" \
  >"$WORK/edited.bundle.json"
got=0
"$TASKGATE" audit verify "$WORK/edited.bundle.json" \
  --pubkey "$WORK/district.pub.pem" >"$WORK/edited.txt" || got=$?
cat "$WORK/edited.txt"
[[ "$got" == 8 ]] || fail "an edited bundle must fail verification (exit 8), got $got"
grep -q '^FAILED: first bad event is seq ' "$WORK/edited.txt" ||
  fail "the report must name the first bad event"
echo "   -> an edited bundle is refused and the event named"

printf '\nDEMO PASSED: one district month, every step as SPEC.md says.\n'
