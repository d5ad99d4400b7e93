#!/usr/bin/env bash
# Installs the operating system's packages the project needs, only those that are missing:
# PostgreSQL server, PostGIS 3 and pgRouting for the same major version, and Python's venv.
# Debian/Ubuntu only (apt). Runs apt as root, or through sudo for an ordinary user.
set -euo pipefail

need=()
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  [ "$#" -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null; then
    echo "error: apt-get not found; install these packages by hand: $*" >&2; exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -q; apt_updated=1; fi
  echo "installing: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

pg_major() { ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sed -E 's#.*/postgresql/([0-9]+)/.*#\1#' | sort -n | tail -1; }

python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
[ -n "$(pg_major)" ] || need+=(postgresql)
apt_install "${need[@]}"

major=$(pg_major)
ext=/usr/share/postgresql/$major/extension
need=()
[ -f "$ext/postgis.control" ] || need+=("postgresql-$major-postgis-3")
[ -f "$ext/pgrouting.control" ] || need+=("postgresql-$major-pgrouting")
# Extra packages (the test suite's browser and CJK font): a command, or an installed package.
for extra in "$@"; do
  command -v "$extra" >/dev/null || dpkg -s "$extra" >/dev/null 2>&1 || need+=("$extra")
done
apt_install "${need[@]}"
echo "system packages ready: PostgreSQL $major with PostGIS and pgRouting"
