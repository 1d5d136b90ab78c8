#!/usr/bin/env bash
# ctest driver for the esptool-js conformance test (issue 3 acceptance):
#   run_conformance.sh ESPFAB_EMU WORK_DIR [EMU_ARGS...]
# Installs esptool-js@0.7.0 from npm (install_esptool_js.sh) into WORK_DIR once, starts espfab-emu
# with one socket:// device, and runs conformance.mjs against it in Node.
# Exit 77 (ctest SKIP_RETURN_CODE) only when node is absent; scripts/setup installs it.
set -euo pipefail

emu=$1
work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)

"$here/install_esptool_js.sh" "$work"

run=$(mktemp -d)
emu_pid=
cleanup() {
  if [ -n "$emu_pid" ]; then
    kill "$emu_pid" 2>/dev/null || true
    wait "$emu_pid" 2>/dev/null || true
  fi
  rm -rf "$run"
}
trap cleanup EXIT

"$emu" --devices 1 --protocol socket --flash-size 4MB --mac-base 7c:df:a1:00:11:22 --state-dir "$run/state" "$@" \
  >"$run/emu.out" 2>"$run/emu.err" &
emu_pid=$!
for _ in $(seq 1 200); do
  grep -q '"url"' "$run/emu.out" 2>/dev/null && break
  kill -0 "$emu_pid" 2>/dev/null || { echo "FAIL: espfab-emu exited early" >&2; cat "$run/emu.err" >&2; exit 1; }
  sleep 0.05
done
line=$(head -n1 "$run/emu.out")
url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' <<<"$line")
mac=$(sed -n 's/.*"mac":"\([^"]*\)".*/\1/p' <<<"$line")
[ -n "$url" ] && [ -n "$mac" ] || { echo "FAIL: no device line from espfab-emu: $line" >&2; exit 1; }
echo "espfab-emu device: $line"

status=0
(cd "$work" && node conformance.mjs "$url" "$mac") || status=$?
if [ -s "$run/emu.err" ]; then
  echo "--- espfab-emu stderr" >&2
  cat "$run/emu.err" >&2
fi
exit $status
