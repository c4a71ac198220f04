#!/usr/bin/env bash
# Install the Debian packages this project needs, and make sure the ODBC
# drivers it talks to are registered with unixODBC.
#
#   scripts/setup-system.sh          packages for `npm install` / `npm start`
#   scripts/setup-system.sh --test   + PostgreSQL, MariaDB and their ODBC drivers, Java 17 and Maven
#
# Idempotent and fast when everything is present: it only asks dpkg, and runs
# `apt-get update` + `apt-get install` only when a package is actually missing.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

with_test=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "setup-system: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

# unixODBC (runtime + headers) and a C++ toolchain + python3 because node-gyp
# compiles the `odbc` native addon during `npm install`; SQLite3 ODBC driver
# for the default/demo database.
packages=(unixodbc unixodbc-dev odbcinst libsqliteodbc g++ make python3)
# ODBC driver name -> "debian-package:driver .so basename" that provides it.
declare -A drivers=([SQLite3]="libsqliteodbc:libsqlite3odbc.so")
if ((with_test)); then
  # Real database servers + their ODBC drivers for the integration tests.
  packages+=(postgresql odbc-postgresql mariadb-server mariadb-client odbc-mariadb)
  # The search engine for the trace tests (OpenSearch 2.19 from Maven Central) runs on Java 17; the
  # Oracle-mode engine (H2, scripts/services/h2.sh) compiles its launcher, hence the JDK.
  packages+=(openjdk-17-jdk-headless maven curl)
  # Redis for the replica tests: events and rate limits shared across servers (REDIS_URL).
  packages+=(redis-server)
  # Headless Chromium for the browser tests (CORS from another origin, pages served by the server).
  packages+=(chromium)
  drivers["PostgreSQL Unicode"]="odbc-postgresql:psqlodbcw.so"
  drivers["MariaDB Unicode"]="odbc-mariadb:libmaodbc.so"
fi

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

echo "==> checking Debian packages: ${packages[*]}"
missing=()
for p in "${packages[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if ((${#missing[@]})); then
  if ((EUID != 0)); then
    echo "setup-system: missing packages: ${missing[*]}" >&2
    echo "setup-system: run this as root, or:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi

  # Keep maintainer scripts from starting services (postgresql, mariadb):
  # in a container without systemd that start may fail and abort dpkg, and we
  # start the servers ourselves (scripts/services/*.sh). A policy-rc.d that
  # exits 101 is the standard "don't start anything" switch of invoke-rc.d.
  # Only add one if none exists, and remove it again whatever happens.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi

  # apt/dpkg chatter goes to a log; shown only when a step fails.
  log="$(mktemp -t setup-system.XXXXXX.log)"
  run_logged() {
    if ! "$@" >>"$log" 2>&1; then
      echo "setup-system: failed: $*" >&2
      tail -n 40 "$log" >&2
      exit 1
    fi
  }
  echo "==> apt-get update (needed for: ${missing[*]})"
  run_logged apt-get update
  echo "==> apt-get install ${missing[*]}"
  run_logged env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
  rm -f "$log"
else
  echo "==> all packages already installed"
fi

# The Debian driver packages register themselves in /etc/odbcinst.ini, but
# that can be undone by hand (or skipped if odbcinst was missing at the time),
# so check by name and register what is missing, with the .so from the package.
echo "==> checking ODBC drivers:$(printf " '%s'" "${!drivers[@]}")"
registered="$(odbcinst -q -d 2>/dev/null || true)"
for name in "${!drivers[@]}"; do
  if grep -Fxq "[$name]" <<<"$registered"; then
    continue
  fi
  pkg="${drivers[$name]%%:*}"
  so="${drivers[$name]#*:}"
  so_path="$(dpkg -L "$pkg" | grep -m1 "/$so\$" || true)"
  if [[ -z "$so_path" ]]; then
    echo "setup-system: package $pkg does not ship $so; cannot register '$name'" >&2
    exit 1
  fi
  if ((EUID != 0)); then
    echo "setup-system: ODBC driver '$name' is not registered; run as root:" >&2
    echo "  sudo bash $0${*:+ $*}" >&2
    exit 1
  fi
  echo "==> registering ODBC driver '$name' -> $so_path"
  tmp="$(mktemp)"
  printf '[%s]\nDescription=%s\nDriver=%s\n' "$name" "$name ODBC driver" "$so_path" >"$tmp"
  odbcinst -i -d -f "$tmp" >/dev/null
  rm -f "$tmp"
done

# Debian registers psqlODBC with CommLog=1, so every process that connects
# leaves a /tmp/psqlodbc_<program><user><pid>.log behind. The driver reads this
# global setting before the connection string, so CommLog=0 there does not
# help: switch it off in the driver's own section.
if ((with_test)); then
  ini="$(odbcinst -j | sed -n 's/^DRIVERS\.*: //p')"
  commlog_on() {
    awk '/^\[/ { s = ($0 == "[PostgreSQL Unicode]") }
         s && /^[ \t]*CommLog[ \t]*=[ \t]*1[ \t]*$/ { found = 1 }
         END { exit !found }' "$ini"
  }
  if [[ -n "$ini" && -f "$ini" ]] && commlog_on; then
    if ((EUID != 0)); then
      echo "==> note: psqlODBC CommLog=1 in $ini (writes /tmp/psqlodbc_*.log); run as root to turn it off"
    else
      echo "==> turning off psqlODBC CommLog for 'PostgreSQL Unicode' in $ini"
      tmp="$(mktemp)"
      awk '/^\[/ { s = ($0 == "[PostgreSQL Unicode]") }
           s && /^[ \t]*CommLog[ \t]*=/ { print "CommLog=0"; next }
           { print }' "$ini" >"$tmp"
      cat "$tmp" >"$ini" # keep the file's owner and mode
      rm -f "$tmp"
    fi
  fi
fi

echo "==> system setup OK"
