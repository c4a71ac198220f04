#!/usr/bin/env bash
# `npm run bench`: the issue 6 benchmark harness. Sets up what is missing (as `npm test` does), starts
# PostgreSQL, MariaDB, OpenSearch and H2 (Oracle mode) unless they are running, installs the benchmark-only Python
# packages (scikit-learn, pandas, pyodbc: bench/requirements.txt, pip --user) when they are missing,
# runs bench/main.ts and stops the servers it started. Arguments go to bench/main.ts, e.g.
#   npm run bench -- --quick          (10k rows, one repetition; writes nothing into the repository)
#   npm run bench -- --sizes 100000 --sections e2e,publish
# The full run (10k, 100k and 1M rows, three repetitions) takes about half an hour on 2 cores and
# rewrites the generated section of bench/RESULTS.md and bench/results/<date>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# shellcheck source=node-env.sh
source scripts/node-env.sh

if ! python3 -c 'import sklearn, pandas, pyodbc, threadpoolctl' >/dev/null 2>&1; then
  echo "==> installing the benchmark-only Python packages (bench/requirements.txt)"
  if ! python3 -m pip install --user --quiet -r bench/requirements.txt; then
    echo "bench: pip could not install bench/requirements.txt; the Python comparisons will be skipped" >&2
  fi
fi

# shellcheck source=services/start-all.sh
source scripts/services/start-all.sh
BENCH_ELASTICSEARCH_URL="${BENCH_ELASTICSEARCH_URL:-$TEST_OPENSEARCH_URL}"
export BENCH_ELASTICSEARCH_URL

node dist/bench/main.js --databases sqlite,postgresql,mariadb "$@"
