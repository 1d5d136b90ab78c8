#!/usr/bin/env bash
# Installs esptool-js@0.7.0 from npm (package-lock.json) into WORK_DIR once:
#   install_esptool_js.sh WORK_DIR
# Used by run_conformance.sh and as the ctest fixture esptool_js_modules, which gives tests the
# package's ESP32-S3 flasher stub (tests/support/esptool_js_stub.hpp). node_modules is never in git.
# Exit 77 (ctest SKIP_RETURN_CODE) only when node is absent; scripts/setup installs it.
set -euo pipefail

work=$1
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed; run scripts/setup (Debian packages nodejs npm)" >&2
  exit 77
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 18)); then
  echo "FAIL: node $(node --version) is too old; esptool-js in Node needs >= 18 (Web Streams)" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "FAIL: node is installed but npm is not; run scripts/setup (Debian package npm)" >&2
  exit 1
fi

mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$work/"
if ! cmp -s "$work/package-lock.json" "$work/node_modules/.espfab-lock" 2>/dev/null ||
   [ ! -f "$work/node_modules/esptool-js/package.json" ]; then
  echo "installing esptool-js from package-lock.json into $work" >&2
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$work/package-lock.json" "$work/node_modules/.espfab-lock"
fi
