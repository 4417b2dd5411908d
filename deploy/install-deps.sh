#!/usr/bin/env bash
# Installs the Debian 12 packages mlpath builds and runs with (DESIGN.md §2).
# Idempotent: does nothing when every package is present; runs apt-get update
# only when something is missing; uses sudo when not root.
#
#   deploy/install-deps.sh           what `make run` and `make test` need
#   deploy/install-deps.sh --build   only what building the binary needs (deploy/Dockerfile)
set -euo pipefail

build_packages=(
  build-essential g++ cmake ninja-build ccache pkg-config make
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev ca-certificates
  libsimdjson-dev
  libsqlitecpp-dev libsqlite3-dev sqlite3
  libhowardhinnant-date-dev tzdata
  libspdlog-dev libfmt-dev
  libcli11-dev
)
# The tests: Catch2; clang and its runtime for the libFuzzer targets; python3 with YAML for
# checking the Kubernetes manifests; curl and openssl for the scripted checks.
test_packages=(
  catch2
  clang libclang-rt-14-dev
  python3 python3-yaml curl openssl
)

packages=("${build_packages[@]}")
if [ "${1:-}" != "--build" ]; then packages+=("${test_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
