#!/usr/bin/env bash
# The benchmark harness end to end at toy sizes: taskgate_loadgen starts the
# real taskgated, sets up a small district, measures the fresh database,
# fills towards 100k events for at most 2 s (so that step is measured where
# the fill stopped, or reached) and skips or measures 200k the same way,
# restarts the server on the file, and exits 0. Then checks the behaviour,
# not the timing: the JSON has every figure of every measured step with
# samples and no errors, every step is either measured or skipped with a
# reason, the clean tasks got no findings, the server stopped with exit 0,
# and the temporary directory is gone.
set -euo pipefail
loadgen="$1"
taskgated="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

rc=0
"$loadgen" --taskgated "$taskgated" --workdir "$dir" --json "$dir/out.json" \
  --departments 3 --communities 6 --streets 2 --reviewers 2 \
  --in-flight 8 --fill-in-flight 8 --connections 2 \
  --sizes 100k,200k --fill-limit 2 \
  --warmup 0.05 --duration 0.2 --min-samples 1 --phase-limit 20 \
  >"$dir/stdout" 2>"$dir/stderr" || rc=$?
if [ "$rc" -ne 0 ]; then
  cat "$dir/stderr" "$dir/stdout"
  echo "FAIL: taskgate_loadgen exited $rc"
  exit 1
fi
grep -q "Health/Check (baseline)" "$dir/stdout" || { cat "$dir/stdout"; echo "FAIL: no table"; exit 1; }
if ls "$dir" | grep -q '^taskgate-bench-'; then
  echo "FAIL: the temporary directory was left behind"; exit 1
fi

python3 - "$dir/out.json" <<'EOF'
import json, sys

report = json.load(open(sys.argv[1]))
problems = []

def need(cond, what):
    if not cond:
        problems.append(what)

def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)

figures = ["health_1", "health_8", "health_64", "create_draft",
           "create_submit", "full_life", "get_task", "task_history",
           "audit_page", "statistics", "get_task_under_load",
           "task_history_under_load", "audit_page_under_load"]

need(report.get("error") is None, f"error: {report.get('error')}")
for key in ["options", "machine", "district", "startup_fresh", "steps",
            "skipped_steps", "shutdown", "files_at_rest",
            "bytes_per_event_at_rest", "startup_largest", "checks"]:
    need(key in report, f"no top-level '{key}'")

steps = report["steps"]
skipped = report["skipped_steps"]
need([s["target_events"] for s in steps] + [s["target_events"] for s in skipped]
     == [0, 100000, 200000], "steps and skipped steps are not 0, 100k, 200k")
need(steps[0]["fill"] is None, "the fresh step was filled")
for s in skipped:
    need(s["reason"], "a skipped step without a reason")
for step in steps:
    t = step["target_events"]
    need(number(step["events_at_start"]) and step["events_at_end"] >= step["events_at_start"],
         f"step {t}: event counts")
    need(step["reached"] == (step["events_at_start"] >= t), f"step {t}: reached")
    if t > 0:
        fill = step["fill"]
        need(fill is not None and fill["events_after"] > fill["events_before"]
             and fill["events_per_s"] > 0 and fill["lives_ok"] > 0,
             f"step {t}: the fill added nothing")
        if not step["reached"]:
            need(fill["hit_fill_limit"], f"step {t}: short of its size without hitting the limit")
    need(step["memory"]["rss_mib"] > 0, f"step {t}: no RSS")
    need(step["files"]["total_bytes"] > 0 and step["bytes_per_event"] > 0,
         f"step {t}: no file size")
    got = step["figures"]
    need(sorted(got) == sorted(figures), f"step {t}: figures {sorted(got)}")
    for name in figures:
        f = got.get(name)
        if f is None:
            continue
        for k in ["rpc_per_s", "p50_ms", "p99_ms", "share_of_baseline",
                  "server_cpu_cores", "client_cpu_cores"]:
            need(number(f.get(k)), f"step {t}: {name}.{k} is {f.get(k)!r}")
        need(f["samples"] > 0, f"step {t}: {name} has no samples")
        need(f["errors"] == 0, f"step {t}: {name} errors {f['rpcs']['error_examples']}")
        need(f["baseline"].startswith("health_"), f"step {t}: {name} baseline")
        if name in ("create_submit", "full_life"):
            need(number(f["tasks_per_s"]) and f["tasks_per_s"] > 0,
                 f"step {t}: {name} tasks_per_s")
        if name.endswith("_under_load"):
            need(f["writes"] is not None and f["writes"]["ok"] > 0,
                 f"step {t}: {name} had no writes meanwhile")
    need(got["health_64"]["share_of_baseline"] == 1, f"step {t}: baseline share")

need(report["shutdown"]["exit_code"] == 0 and not report["shutdown"]["killed"],
     f"shutdown: {report['shutdown']}")
for key in ["startup_fresh", "startup_largest"]:
    need(report[key]["seconds"] > 0, f"{key}: no time")
need(report["startup_largest"]["events"] == steps[-1]["events_at_end"],
     "start-up measured on another size than the last step's")
checks = report["checks"]
need(checks["submits_with_findings"] == 0 and checks["submits_not_submitted"] == 0
     and checks["approvals_not_active"] == 0, f"clean tasks were not clean: {checks}")

if problems:
    print("FAIL:\n  " + "\n  ".join(problems))
    sys.exit(1)
EOF
echo "PASS"
