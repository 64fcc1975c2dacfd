#!/usr/bin/env bash
# Idempotent: installs what ferry and its tests need on a fresh Debian machine, then builds.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v python3 >/dev/null || need+=(python3)
command -v tmux >/dev/null || need+=(tmux)
# The distributed mode's engines; tests start their own servers on free loopback ports.
command -v nats-server >/dev/null || need+=(nats-server)
command -v redis-server >/dev/null || need+=(redis-server)
# Page crc32s at three times zlib's speed (libs/sys/src/crc32.ts).
dpkg -s libdeflate0 >/dev/null 2>&1 || need+=(libdeflate0)
# The network lock of established TCP connections (--tcp-established, libs/sys/src/net-lock.ts).
command -v nft >/dev/null || need+=(nftables)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to install ${need[*]}" >&2; exit 1; fi
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
