#!/usr/bin/env bash
# The layering check: dependencies point down only,
#   services -> workflow -> store -> audit -> domain -> common
# and clients use proto, audit, domain and common, never the server's code.
# Also keeps gRPC, SQLite and Asio out of the layers that must not know them.
# Usage: check_deps.sh [ROOT]   (default: the repository this script is in)
# Prints each forbidden include as FILE:LINE: FROM -> TO and exits 1; exits 0
# when the tree is clean.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"

# folder -> the folders of ours it must not include
declare -A forbidden=(
  [common]="domain audit store workflow services clients"
  [domain]="audit store workflow services clients"
  [audit]="store workflow services clients"
  [store]="workflow services clients"
  [workflow]="services clients"
  [services]="clients"
  [clients]="store workflow services"
)
# folders that must stay free of gRPC, protobuf, SQLite and Asio headers
engine_free="common domain audit workflow"
engine_headers='<grpc|<grpcpp/|"[^"]*\.pb\.h"|<google/protobuf/|<sqlite3\.h>|<boost/asio|<boost/beast|<asio'

failed=0
# report "FILE:LINE:TEXT" WHAT
report() {
  local file="${1%%:*}" rest="${1#*:}"
  echo "$file:${rest%%:*}: $2 (${rest#*:})"
  failed=1
}

for from in "${!forbidden[@]}"; do
  [[ -d "$from" ]] || continue
  for to in ${forbidden[$from]}; do
    while IFS= read -r hit; do
      [[ -n "$hit" ]] && report "$hit" "$from -> $to is a forbidden edge"
    done < <(grep -rnE --include='*.h' --include='*.cc' \
               "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"$to/" "$from" || true)
  done
done
for dir in $engine_free; do
  [[ -d "$dir" ]] || continue
  while IFS= read -r hit; do
    [[ -n "$hit" ]] && report "$hit" "$dir -> gRPC/protobuf/SQLite/Asio: keep it in store/sqlite/ or services/"
  done < <(grep -rnE --include='*.h' --include='*.cc' \
             "^[[:space:]]*#[[:space:]]*include[[:space:]]+($engine_headers)" "$dir" || true)
done
# The store interface itself is engine-neutral; only store/sqlite/ (and
# later store/postgres/) may see a database library.
while IFS= read -r hit; do
  [[ -n "$hit" ]] && report "$hit" "store interface -> database library: keep it under store/<engine>/"
done < <(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]+($engine_headers)" \
           store/*.h store/*.cc 2>/dev/null || true)

if (( failed )); then
  echo "check_deps: forbidden includes found (README, 'Layout', says which way each folder may depend)" >&2
  exit 1
fi
echo "check_deps: layering clean"
