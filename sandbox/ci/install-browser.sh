#!/usr/bin/env bash
# Installs what the sandbox's browser test (sandbox/tests/browser.rs) needs: Debian's headless-
# capable Chromium and its WebDriver, at /usr/bin/chromium and /usr/bin/chromedriver. Does
# nothing when both are there already. Needs root (or sudo) and Debian's package mirrors.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "install-browser: chromium and chromedriver are installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-browser: need root (or sudo) to apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi

echo "install-browser: apt-get install chromium chromium-driver"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y chromium chromium-driver
