#!/usr/bin/env bash
# The thread-safety pass without a clang build: clang's -Wthread-safety over
# our translation units, syntax-only, as errors, so an `ABSL_GUARDED_BY`
# member touched without its lock (or a function called without the lock it
# requires) fails. CI gets the same check from its clang build
# (.ci/clang_build.sh, the same flags) and does not run this whole pass;
# tests/ci/thread_safety_test.sh uses it to show the flags catch the mistake.
# Usage: thread_safety.sh BUILD_DIR [SOURCE...]
#   With no SOURCE: every translation unit of ours in
#   BUILD_DIR/compile_commands.json (generated protobuf code excluded).
#   With SOURCEs: those files, compiled with the flags of a services unit
#   (the test of this check uses it on a deliberately wrong file).
set -euo pipefail
build="${1:?usage: thread_safety.sh BUILD_DIR [SOURCE...]}"
shift
clang="${CLANGXX:-clang++-14}"
source "$(dirname "$0")/clang_build.sh"
python3 - "$build" "$clang" "$THREAD_SAFETY_FLAGS" "$@" <<'PY'
import json, os, shlex, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

build, clang, checks, extra = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
entries = json.load(open(os.path.join(build, "compile_commands.json")))

def flags(entry):
    args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
    out, skip = [], False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c"):
            skip = True
            continue
        if a == entry["file"] or a.startswith(("-W", "-O", "-g")):
            continue  # GCC's warning set is not clang's; keep only ours below
        out.append(a)
    return out + ["-fsyntax-only"] + checks

if extra:
    base = next(e for e in entries if "/services/" in e["file"])
    jobs = [(os.path.abspath(f), base["directory"], flags(base)) for f in extra]
else:
    jobs = [(e["file"], e["directory"], flags(e)) for e in entries
            if "/proto/" not in e["file"] and not e["file"].endswith(".pb.cc")]

def run(job):
    path, cwd, fl = job
    r = subprocess.run([clang] + fl + [path], cwd=cwd, capture_output=True,
                       text=True)
    return path, r.returncode, r.stderr

failed = 0
with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    for path, code, err in pool.map(run, jobs):
        if code != 0:
            failed += 1
            sys.stderr.write(err)
            print(f"thread-safety: FAILED {path}")
print(f"thread-safety: {len(jobs) - failed} of {len(jobs)} units clean")
sys.exit(1 if failed else 0)
PY
