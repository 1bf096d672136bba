#!/usr/bin/env bash
# console_e2e: run.sh RETRO EXAMPLES_DIR SCREENSHOT_DIR
# Exits 77 (skipped) when node or chromium is missing; scripts/setup
# installs both, so CI runs it for real.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "console_e2e: SKIPPED: node/npm not found (run scripts/setup: it installs nodejs and npm)"
  exit 77
fi
if [[ ! -x "$chromium" ]]; then
  echo "console_e2e: SKIPPED: $chromium not found (run scripts/setup: it installs Debian's chromium; or set CHROMIUM)"
  exit 77
fi
"$here/../../scripts/console-deps"
exec node "$here/console_test.mjs" "$@"
