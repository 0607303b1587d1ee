#!/usr/bin/env bash
# Installs what chinaums-redis's integration tests (redis/tests/) need: Debian's redis-server on
# the PATH. The tests start their own server on a free port in a temporary directory, so the
# Debian service that the package sets up need not run (in a container without an init system
# it does not). Does nothing when redis-server is installed already. Needs root (or sudo) and
# Debian's package mirrors.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "install-redis: $(redis-server --version | head -n 1)"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-redis: need root (or sudo) to apt-get install redis-server" >&2
    exit 1
  fi
fi

echo "install-redis: apt-get install redis-server"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y redis-server
redis-server --version
