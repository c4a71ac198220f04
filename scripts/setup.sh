#!/usr/bin/env bash
# Everything `npm start` and `npm test` need on a fresh Debian machine, each step said aloud:
#   1. Debian packages (unixODBC, the ODBC drivers; with --test the database servers too)
#   2. npm dependencies, when node_modules is missing or older than package-lock.json
#      (`npm ci`; the `odbc` native addon is built against unixODBC's headers)
#   3. the TypeScript build (incremental, so a no-change build takes a moment)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh "$@"

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "==> installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
else
  echo "==> npm dependencies up to date"
fi

echo "==> building (tsc)"
npx --no-install tsc -p tsconfig.json
