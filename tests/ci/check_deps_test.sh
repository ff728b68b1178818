#!/usr/bin/env bash
# The layering check catches what it is for: a forbidden edge between our
# folders and an engine header in a layer that must not know it; it passes
# the real tree and a clean tree.
# Usage: check_deps_test.sh SOURCE_DIR
set -euo pipefail
src="$1"
check="$src/.ci/check_deps.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() {  # expect PASS|FAIL ROOT WHAT [PATTERN]
  local want="$1" root="$2" what="$3" pattern="${4:-}" out code=0
  out=$("$check" "$root" 2>&1) || code=$?
  if [[ "$want" == PASS && $code -ne 0 ]]; then
    echo "FAIL: $what: expected clean, got:"; echo "$out"; exit 1
  fi
  if [[ "$want" == FAIL && $code -eq 0 ]]; then
    echo "FAIL: $what: a forbidden include went unnoticed"; exit 1
  fi
  if [[ -n "$pattern" ]] && ! grep -qE "$pattern" <<<"$out"; then
    echo "FAIL: $what: report does not name '$pattern':"; echo "$out"; exit 1
  fi
  echo "ok: $what"
}

fresh() {  # a minimal tree whose includes all point down
  rm -rf "$tmp/t"; mkdir -p "$tmp/t"/{common,domain,audit,store/sqlite,workflow,services,clients}
  echo '#include "common/clock.h"' > "$tmp/t/domain/types.h"
  echo '#include "domain/types.h"' > "$tmp/t/audit/encoding.h"
  echo '#include "audit/encoding.h"' > "$tmp/t/store/store.h"
  echo '#include <sqlite3.h>' > "$tmp/t/store/sqlite/sqlite_store.cc"
  echo '#include "store/store.h"' > "$tmp/t/workflow/engine.h"
  echo '#include "workflow/engine.h"' > "$tmp/t/services/api.h"
  echo '#include <grpcpp/grpcpp.h>' >> "$tmp/t/services/api.h"
  echo '#include "audit/encoding.h"' > "$tmp/t/clients/cli.cc"
  echo "$tmp/t"
}

expect PASS "$src" "the repository as it is"
expect PASS "$(fresh)" "a clean tree"

t=$(fresh); echo '#include "workflow/engine.h"' >> "$t/domain/types.h"
expect FAIL "$t" "domain including workflow" 'domain/types.h:2: domain -> workflow'

t=$(fresh); echo '  #  include "store/store.h"' >> "$t/audit/encoding.h"
expect FAIL "$t" "audit including store (spaced directive)" 'audit -> store'

t=$(fresh); echo '#include "workflow/engine.h"' > "$t/store/sqlite/x.cc"
expect FAIL "$t" "store including workflow" 'store -> workflow'

t=$(fresh); echo '#include "services/api.h"' >> "$t/workflow/engine.h"
expect FAIL "$t" "workflow including services" 'workflow -> services'

t=$(fresh); echo '#include "workflow/engine.h"' >> "$t/clients/cli.cc"
expect FAIL "$t" "clients including workflow" 'clients -> workflow'

t=$(fresh); echo '#include <grpcpp/grpcpp.h>' >> "$t/workflow/engine.h"
expect FAIL "$t" "gRPC in workflow" 'workflow -> gRPC'

t=$(fresh); echo '#include "taskgate/v1/tasks.pb.h"' >> "$t/domain/types.h"
expect FAIL "$t" "generated protobuf in domain" 'domain -> gRPC'

t=$(fresh); echo '#include <boost/asio.hpp>' >> "$t/audit/encoding.h"
expect FAIL "$t" "Asio in audit" 'audit -> gRPC/protobuf/SQLite/Asio'

t=$(fresh); echo '#include <sqlite3.h>' >> "$t/store/store.h"
expect FAIL "$t" "SQLite in the store interface" 'store interface -> database'
