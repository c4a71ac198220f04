#!/usr/bin/env bash
# `npm test`: set up what is missing, start PostgreSQL and MariaDB (the suite runs on them and on
# SQLite through their real ODBC drivers) and OpenSearch (the trace's search engine), run the whole suite with Node's test runner, and stop the
# servers this run started. Extra arguments go to `node --test` (e.g. a single file under dist/test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

started=()
for service in postgres mariadb opensearch; do
  if ! bash "scripts/services/$service.sh" status >/dev/null 2>&1; then started+=("$service"); fi
  bash "scripts/services/$service.sh" start
done
stop_started() {
  for service in "${started[@]}"; do bash "scripts/services/$service.sh" stop || true; done
}
trap stop_started EXIT

# shellcheck source=services/test-env.sh
source scripts/services/test-env.sh
TEST_OPENSEARCH_URL="${TEST_OPENSEARCH_URL:-$(bash scripts/services/opensearch.sh url)}"
export TEST_OPENSEARCH_URL

files=("$@")
if ((${#files[@]} == 0)); then
  mapfile -t files < <(find dist/test -name '*.test.js' | sort)
fi
if ((${#files[@]} == 0)); then
  echo "test: no compiled test files under dist/test" >&2
  exit 1
fi
echo "==> running ${#files[@]} test files"
node --test --test-reporter=spec "${files[@]}"
