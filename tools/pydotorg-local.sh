#!/usr/bin/env bash
# Run the REAL python.org downloads API (pythondotorg's own code) on a local PostgreSQL, for
# the parity and publish checks in tests/publish_api/test_pyorg_real_parity.py.
#
#   tools/pydotorg-local.sh SRC WORKDIR [PORT]
#
# SRC: a pythondotorg source tree (the repository python/pythondotorg).
# WORKDIR: where the database cluster, the virtual environment and the logs go (outside the
# repository; created if missing). PORT: the API's port (default 8765); PostgreSQL listens
# on 127.0.0.1 at PORT+1000.
# Needs Debian's postgresql package (initdb, pg_ctl) and Python 3.13 or newer ($PYTHON).
# Prints the export line for CPYTHON_RELEASE_PYDOTORG_URL, then serves in the foreground;
# Ctrl-C (or SIGTERM) stops the API and the database.
set -euo pipefail
[ $# -ge 2 ] || { sed -n 2,14p "$0" >&2; exit 2; }
src=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
port=${3:-8765}
pgport=$((port + 1000))
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3.13}

pgbin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$pgbin/initdb" ] || { echo "no PostgreSQL (apt-get install postgresql)" >&2; exit 2; }
# PostgreSQL refuses to run as root: run it as the owner of WORKDIR (nobody when root).
run_pg=()
if [ "$(id -u)" = 0 ]; then
  chown nobody "$work"
  run_pg=(runuser -u nobody --)
fi

if [ ! -f "$work/pg/PG_VERSION" ]; then
  "${run_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U pydotorg --auth=trust -E UTF8 >"$work/initdb.log"
fi
"${run_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/postgres.log" -w \
  -o "-h 127.0.0.1 -p $pgport -k $work/pg" start >/dev/null
stop() {
  [ -n "${api:-}" ] && kill "$api" 2>/dev/null || true
  "${run_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null || true
}
trap stop EXIT INT TERM
"$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U pydotorg -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname='pydotorg'" | grep -q 1 \
  || "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U pydotorg pydotorg

if [ ! -x "$work/venv/bin/python" ]; then
  "$python" -m venv "$work/venv"
  # pythondotorg's pins (pyproject.toml) for what its downloads API imports.
  "$work/venv/bin/pip" install -q Django==5.2.16 django-tastypie==0.15.1 \
    djangorestframework==3.15.2 django-filter==25.1 django-markupfield==2.0.1 \
    python-dateutil python-decouple==3.8 dj-database-url==0.5.0 cmarkgfm nh3 Markdown \
    docutils requests psycopg2-binary==2.9.11
fi
echo "export CPYTHON_RELEASE_PYDOTORG_URL=http://127.0.0.1:$port/"
"$work/venv/bin/python" "$here/tests/fakes_pythonorg/realsite/run.py" --src "$src" \
  --port "$port" --database-url "postgres://pydotorg@127.0.0.1:$pgport/pydotorg" &
api=$!
wait "$api"
