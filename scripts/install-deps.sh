#!/usr/bin/env bash
# Installs every Debian 12 package that tagd's build, tests and benchmark need. Idempotent.
set -euo pipefail
packages=(
  build-essential cmake pkg-config clang-format
  libroaring-dev liblmdb-dev lmdb-utils libxxhash-dev zlib1g-dev
  nlohmann-json3-dev catch2
  libcaf-dev capnproto libcapnp-dev libboost-program-options-dev libspdlog-dev
  libhiredis-dev libjemalloc-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
