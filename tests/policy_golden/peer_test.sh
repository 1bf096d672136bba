#!/usr/bin/env bash
# Retro vs the JS peer on every golden case (see compare_with_peer.mjs and
# DIFFERENCES.md). Installs the peer's libraries with its setup.sh when they
# are missing (npm); fails when node or the install is unavailable (a
# comparison that cannot run is not a pass).
#
#   peer_test.sh RETRO SHARED_DIR [--verbose]
set -euo pipefail
retro="${1:?usage: peer_test.sh RETRO SHARED_DIR [--verbose]}"
shared="${2:?usage: peer_test.sh RETRO SHARED_DIR [--verbose]}"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "FAILED: node is not installed; the peer comparison needs it (scripts/setup installs it)"
  exit 1
fi
if ! deps="$("$shared/peers/reprocess-js/setup.sh")"; then
  echo "FAILED: could not install the peer's libraries (npm registry unreachable?)"
  exit 1
fi
exec node "$here/compare_with_peer.mjs" --retro "$retro" --shared "$shared" \
  --deps "$deps" "${@:3}"
