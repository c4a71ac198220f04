#!/usr/bin/env bash
# The static checks `npm test` runs before the suite (after scripts/setup.sh):
#   lint     ESLint with typescript-eslint's type-checked rules (eslint.config.mjs)
#   format   Prettier, checking only (.prettierrc.json; `npm run format` rewrites)
#   deps     dependency-cruiser: no cycles, imports only run down the floors (.dependency-cruiser.cjs)
# A check that finds something fails the run, unless it is named in CHECKS_REPORT_ONLY
# (space-separated), which prints its findings and goes on.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-env.sh
source scripts/node-env.sh

report_only=" ${CHECKS_REPORT_ONLY-} "

failed=()
check() {
  local name="$1"
  shift
  echo "==> $name: $*"
  if "$@"; then
    return 0
  fi
  if [[ "$report_only" == *" $name "* ]]; then
    echo "==> $name found problems (reported only: CHECKS_REPORT_ONLY names it)"
  else
    failed+=("$name")
  fi
}
check lint npx --no-install eslint --max-warnings 0 .
check format npx --no-install prettier --check --log-level warn .
check deps npx --no-install depcruise --config .dependency-cruiser.cjs src test bench

if ((${#failed[@]})); then
  echo "check: failed: ${failed[*]}" >&2
  exit 1
fi
