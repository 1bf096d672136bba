#!/usr/bin/env bash
# Golden outputs: runs `retro policy preview -o json` for every case of
# cases.txt and compares the output, byte for byte, with expected/. Needs
# nothing but the retro binary.
#
#   golden.sh RETRO SHARED_DIR            check (exit 1 on any difference)
#   golden.sh RETRO SHARED_DIR --update   rewrite expected/ from this build
set -euo pipefail
retro="${1:?usage: golden.sh RETRO SHARED_DIR [--update]}"
shared="${2:?usage: golden.sh RETRO SHARED_DIR [--update]}"
update="${3:-}"
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$shared/fixtures"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

status=0
while read -r file type events; do
  case "$file" in ''|'#'*) continue ;; esac
  name="${file%.yaml}.$type.jsonl"
  "$retro" policy preview "$fixtures/policies/$file" \
      --source "$fixtures/policies/sources.yaml" --type "$type" \
      --input "$fixtures/events/$events" -o json >"$work/$name"
  if [ "$update" = "--update" ]; then
    cp "$work/$name" "$here/expected/$name"
    echo "updated expected/$name ($(wc -l <"$work/$name") lines)"
  elif ! diff -u "$here/expected/$name" "$work/$name" >"$work/$name.diff"; then
    echo "FAIL $file ($type): the output differs from expected/$name:"
    head -n 40 "$work/$name.diff"
    echo "(if the change is intended: $0 $retro $shared --update)"
    status=1
  else
    echo "ok   $file ($type): $(wc -l <"$work/$name") lines as expected/$name"
  fi
done <"$here/cases.txt"
exit "$status"
