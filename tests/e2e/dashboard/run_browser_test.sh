#!/usr/bin/env bash
# Installs puppeteer-core (package-lock.json) into WORK/node once and runs the browser test:
#   run_browser_test.sh ESPFAB ESPFAB_EMU WORK SCREENSHOT_DIR full|short
# Exit 77 (ctest SKIP_RETURN_CODE) only when node or Debian's chromium is missing (scripts/setup
# installs both); node_modules is never in git.
set -euo pipefail
espfab=$1 emu=$2 work=$3 shots=$4 mode=$5
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1 || [ ! -x "${ESPFAB_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "SKIP: node or chromium is not installed; run scripts/setup" >&2
  exit 77
fi
modules="$work/node"
mkdir -p "$modules"
cp "$here/package.json" "$here/package-lock.json" "$here/dashboard_browser_test.mjs" "$modules/"
if ! cmp -s "$modules/package-lock.json" "$modules/node_modules/.espfab-lock" 2>/dev/null; then
  echo "installing puppeteer-core from package-lock.json into $modules" >&2
  (cd "$modules" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp "$modules/package-lock.json" "$modules/node_modules/.espfab-lock"
fi
exec node "$modules/dashboard_browser_test.mjs" "$espfab" "$emu" "$work/$mode" "$shots" "$mode"
