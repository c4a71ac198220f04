#!/usr/bin/env bash
# `npm test`: set up what is missing, run the static checks (scripts/check.sh: ESLint, Prettier,
# dependency-cruiser), start PostgreSQL, MariaDB and H2 in Oracle mode (the suite runs on them and on
# SQLite through real ODBC drivers) and OpenSearch (the trace's search engine), run the whole suite with
# Node's test runner, then the statement inventory over what the suite ran on H2
# (docs/development.md#the-statement-inventory), and stop the servers this run started. Extra arguments
# go to `node --test` (e.g. a single file under dist/test); the static checks and the inventory are
# then skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# shellcheck source=node-env.sh
source scripts/node-env.sh

files=("$@")
full_run=false
if ((${#files[@]} == 0)); then
  full_run=true
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

recording="${NODE_OPTIONS-}"
if $full_run; then
  # Every test process, and every server a test starts, records which Oracle and Tibero statements ran
  # on H2; the inventory check reads that after the suite.
  export STATEMENT_INVENTORY_DIR="$PWD/.test-services/inventory"
  rm -rf "$STATEMENT_INVENTORY_DIR"
  recording="${recording:+$recording }--require=$PWD/dist/test/support/statement-inventory/record.js"
fi

echo "==> running ${#files[@]} test files"
status=0
NODE_OPTIONS="$recording" node --test --test-reporter=spec "${files[@]}" || status=$?
if $full_run; then
  echo "==> the statement inventory"
  node --test --test-reporter=spec dist/test/statement-inventory/coverage.check.js || status=1
fi
exit "$status"
