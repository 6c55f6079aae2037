#!/usr/bin/env bash
# Install what pgorm needs to build, test and run its demo, from Debian's
# packages, when it is missing. As root it installs; otherwise it prints the
# command to run. graphviz: `pgorm diagram -o FILE.svg` runs its dot, and the
# tests check that it does.
set -euo pipefail

pkgs=(gcc make cmake ninja-build pkg-config libpq-dev postgresql postgresql-contrib graphviz
      libcmocka-dev libuv1-dev libevent-dev)
[ "$#" -gt 0 ] && pkgs+=("$@")

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "pgorm: missing packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "pgorm: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
