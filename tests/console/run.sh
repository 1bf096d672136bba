#!/usr/bin/env bash
# console_e2e: run.sh RETRO EXAMPLES_DIR SCREENSHOT_DIR
# Fails when node or chromium is missing (scripts/setup, which `make test`
# runs first, installs both): a browser test that cannot run is not a pass.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "console_e2e: FAILED: node/npm not found (run scripts/setup: it installs nodejs and npm)"
  exit 1
fi
if [[ ! -x "$chromium" ]]; then
  echo "console_e2e: FAILED: $chromium not found (run scripts/setup: it installs Debian's chromium; or set CHROMIUM)"
  exit 1
fi
"$here/../../scripts/console-deps"
exec node "$here/console_test.mjs" "$@"
