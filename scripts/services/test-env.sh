# shellcheck shell=bash
# ODBC connection strings for the integration tests. Source it (don't run it)
# after starting the servers:
#
#   scripts/services/postgres.sh start && scripts/services/mariadb.sh start
#   source scripts/services/test-env.sh
#
# A variable that is already set is kept, so a developer can point the tests
# at another server. No `set -e` here: this runs inside the caller's shell.
#
# Why these driver options (checked with node-odbc 2.6 against psqlODBC 13.02
# and MariaDB Connector/ODBC 3.1.15 on Debian 12):
#
# PostgreSQL Unicode (psqlODBC):
#   - Text: the Unicode driver always sets client_encoding=UTF8 (Korean and
#     4-byte characters round-trip, even under LC_ALL=C); no option needed.
#   - BI=-5: report int8 as SQL_BIGINT (also the default, stated so that a DSN
#     or odbcinst.ini default can't change it). node-odbc returns SQL_BIGINT as
#     a JS BigInt, exact over the full int64 range. BI=8 (double) or BI=2
#     (numeric) would give a JS number instead, and 9007199254740993 would come
#     back as 9007199254740992.
#   - BoolsAsChar=0: boolean columns are described as SQL_BIT instead of
#     SQL_VARCHAR(5). node-odbc returns the value as the string "1"/"0" either
#     way, but only with SQL_BIT does the column type say it is a boolean
#     (src/datastore/values.ts converts by column type).
#   - UseDeclareFetch=0 (default, stated): the whole result is fetched at once;
#     with 1 the driver wraps SELECTs in cursors, which interacts with
#     transactions and is pointless for test-sized results.
#   - Not settable here: CommLog. Debian's odbcinst.ini sets CommLog=1, which
#     makes every process write /tmp/psqlodbc_*.log; the driver reads it before
#     the connection string, so scripts/setup-system.sh --test turns it off in
#     odbcinst.ini instead.
#
# H2 in Oracle mode (scripts/services/h2.sh), the `oracle` and `tibero` targets: through psqlODBC
#   with the PostgreSQL options above, to H2's PostgreSQL protocol behind the adapter.
#
# MariaDB Unicode (Connector/ODBC):
#   - CHARSET=utf8mb4: full Unicode (4-byte characters) on the connection,
#     whatever the server's default character set is.
#   - OPTION=2 (FOUND_ROWS): an UPDATE reports the rows it *matched*, not only
#     the rows whose values changed, the same as PostgreSQL, SQLite and Oracle.
#     Without it, an UPDATE that writes the same values reports 0 rows.

_test_env_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ -z "${TEST_POSTGRESQL_ODBC:-}" ]]; then
  if ! _test_env_pg_port="$(bash "$_test_env_dir/postgres.sh" port)"; then
    echo "test-env.sh: cannot find the PostgreSQL port (run scripts/services/postgres.sh start); assuming 5432" >&2
    _test_env_pg_port=5432
  fi
  TEST_POSTGRESQL_ODBC="Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=${_test_env_pg_port};Database=aimodel_test;Uid=aimodel_test;Pwd=aimodel_test_pw;BI=-5;BoolsAsChar=0;UseDeclareFetch=0;"
fi
if [[ -z "${TEST_MARIADB_ODBC:-}" ]]; then
  TEST_MARIADB_ODBC="Driver={MariaDB Unicode};Server=127.0.0.1;Port=3306;Database=aimodel_test;Uid=aimodel_test;Pwd=aimodel_test_pw;CHARSET=utf8mb4;OPTION=2;"
fi
if [[ -z "${TEST_ORACLE_ODBC:-}" ]]; then
  TEST_ORACLE_ODBC="Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=$(bash "$_test_env_dir/h2.sh" port);Database=aimodel;Uid=sa;Pwd=sa;BI=-5;BoolsAsChar=0;UseDeclareFetch=0;"
fi
export TEST_POSTGRESQL_ODBC TEST_MARIADB_ODBC TEST_ORACLE_ODBC

unset _test_env_dir _test_env_pg_port
