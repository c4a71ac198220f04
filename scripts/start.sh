#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the server. With no configuration it serves the
# embedded default: SQLite through ODBC in ./data/, demo datasets loaded, on http://localhost:4000/graphql.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=node-env.sh
source scripts/node-env.sh
echo "==> starting the server"
exec node dist/src/main.js
