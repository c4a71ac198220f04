#!/usr/bin/env bash
# Everything `npm start` and `npm test` need on a fresh Debian machine, each step said aloud:
#   1. Debian packages (unixODBC, the ODBC drivers; with --test the database servers too)
#   2. Node: the machine's when its major is at least .nvmrc's, else the Node pinned in .nvmrc,
#      fetched from the npm registry into .tools/node (scripts/node-env.sh)
#   3. npm dependencies with that Node, when node_modules is missing or older than package-lock.json
#      (`npm ci`; the `odbc` native addon is built against unixODBC's headers)
#   4. the TypeScript build (incremental: with nothing changed it writes no file)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh "$@"

# shellcheck source=node-env.sh
source scripts/node-env.sh
echo "==> Node $(node --version) ($(command -v node))"

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  if [[ -L node_modules ]]; then
    # `npm ci` empties node_modules first: through a link it would empty the install it points to.
    echo "setup: node_modules links to $(readlink node_modules), which is missing or older than package-lock.json; run npm ci there" >&2
    exit 1
  fi
  echo "==> installing npm dependencies (npm ci)"
  # odbc 2.6 builds with node-addon-api 3, which is not valid C++20, the standard Node 24's headers ask for.
  CXXFLAGS="${CXXFLAGS:+$CXXFLAGS }-std=gnu++17" npm ci --no-audit --no-fund
else
  echo "==> npm dependencies up to date"
fi

# The build info says what is already built; with an output gone (dist/ partly removed) it would
# say so wrongly, so it goes too.
if [[ -f dist/.tsbuildinfo && ! -f dist/src/main.js ]]; then
  rm -f dist/.tsbuildinfo
fi
echo "==> building (tsc)"
npx --no-install tsc -p tsconfig.json
