#!/usr/bin/env bash
# `npm test`: set up what is missing, run the static checks (scripts/check.sh: ESLint, Prettier,
# dependency-cruiser), start PostgreSQL, MariaDB and H2 in Oracle mode (the suite runs on them and on
# SQLite through real ODBC drivers) and OpenSearch (the trace's search engine), run the whole suite with
# Node's test runner, and stop the servers this run started. Extra arguments go to `node --test`
# (e.g. a single file under dist/test); the static checks are then skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# shellcheck source=node-env.sh
source scripts/node-env.sh

files=("$@")
if ((${#files[@]} == 0)); then
  bash scripts/check.sh
  # From the sources, not from dist/: a test moved or deleted leaves its compiled copy behind there.
  mapfile -t files < <(find test -name '*.test.ts' | sort | sed -e 's#^#dist/#' -e 's#\.ts$#.js#')
fi
if ((${#files[@]} == 0)); then
  echo "test: no test files under test/" >&2
  exit 1
fi

# shellcheck source=services/start-all.sh
source scripts/services/start-all.sh

echo "==> running ${#files[@]} test files"
node --test --test-reporter=spec "${files[@]}"
