#!/usr/bin/env bash
# Installs what chinaums-redis's integration tests (redis/tests/) and the fleet test
# (e2e/tests/fleet.rs) need: Debian's redis-server on the PATH. The tests start their own server
# on a free port in a temporary directory, so the Debian service that the package sets up need
# not run (in a container without an init system it does not). Does nothing when redis-server
# is installed already. Needs root (or sudo) and Debian's package mirrors.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "install-redis: $(redis-server --version | head -n 1)"
  exit 0
fi
bash "$(dirname "$0")/../../.ci/apt-install" redis-server
redis-server --version
