#!/usr/bin/env bash
# `npm run bench:replicas`: runs completed per minute with 1, 2 and 3 replicas (dist/src/main.js) on one
# PostgreSQL database, and the delay of run events from the executing replica to a subscriber on another,
# with Redis and without it (bench/replicas.ts). Sets up what is missing and starts PostgreSQL, MariaDB,
# OpenSearch, H2 and Redis as `npm test` does (start-all.sh), stopping those it started. Arguments go to
# bench/replicas.ts, e.g. `npm run bench:replicas -- --runs 12 --replicas 1,3 --events redis`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# shellcheck source=node-env.sh
source scripts/node-env.sh
# shellcheck source=services/start-all.sh
source scripts/services/start-all.sh
node dist/bench/replicas.js "$@"
