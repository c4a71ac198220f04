# shellcheck shell=bash
# Source it (don't run it): starts PostgreSQL, MariaDB, OpenSearch, H2 in Oracle mode and Redis unless they are running, stops
# on exit the ones it started, and exports their connection settings (test-env.sh, TEST_OPENSEARCH_URL, TEST_REDIS_URL).
# Used by `npm test` and `npm run bench`.
_services_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_services_started=()
for _service in postgres mariadb opensearch h2 redis; do
  if ! bash "$_services_dir/$_service.sh" status >/dev/null 2>&1; then _services_started+=("$_service"); fi
  bash "$_services_dir/$_service.sh" start
done
_stop_started_services() {
  for _service in "${_services_started[@]}"; do bash "$_services_dir/$_service.sh" stop || true; done
}
trap _stop_started_services EXIT

# shellcheck source=test-env.sh
source "$_services_dir/test-env.sh"
TEST_OPENSEARCH_URL="${TEST_OPENSEARCH_URL:-$(bash "$_services_dir/opensearch.sh" url)}"
export TEST_OPENSEARCH_URL
TEST_REDIS_URL="${TEST_REDIS_URL:-$(bash "$_services_dir/redis.sh" url)}"
export TEST_REDIS_URL
