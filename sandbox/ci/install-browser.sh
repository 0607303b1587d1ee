#!/usr/bin/env bash
# Installs what the sandbox's browser test (sandbox/tests/browser.rs) needs: Debian's headless-
# capable Chromium and its WebDriver, at /usr/bin/chromium and /usr/bin/chromedriver. Does
# nothing when both are there already. Needs root (or sudo) and Debian's package mirrors.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "install-browser: chromium and chromedriver are installed"
  exit 0
fi
bash "$(dirname "$0")/../../.ci/apt-install" chromium chromium-driver
