#!/usr/bin/env bash
# Installs the Debian 12 packages mlpath builds and runs with (DESIGN.md §2).
# Idempotent: does nothing when every package is present; runs apt-get update
# only when something is missing; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build ccache pkg-config make
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev ca-certificates
  libsimdjson-dev
  libsqlitecpp-dev libsqlite3-dev sqlite3
  libhowardhinnant-date-dev tzdata
  libspdlog-dev libfmt-dev
  libcli11-dev
  catch2
  python3 curl openssl
)

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
