#!/usr/bin/env bash
# Installs the Debian 12 packages TaskGate builds with, only those missing.
# Idempotent: a second run installs nothing. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libabsl-dev libsqlite3-dev sqlite3 libssl-dev
  # the openssl command line: the mutual-TLS tests make their certificates
  openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libspdlog-dev libcli11-dev libtoml11-dev nlohmann-json3-dev
  prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # clang-14 for the thread-safety pass; its runtime (libFuzzer, ASan,
  # UBSan) for the fuzz targets of .ci/fuzz.sh
  clang-format clang-14 libclang-rt-14-dev python3 tzdata
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install packages" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
