#!/bin/sh
# Installs the Debian packages tem builds, tests and runs with; quick no-op when all are present.
set -eu
PKGS="build-essential pkg-config clang clang-format
libsodium-dev libqrencode-dev libsqlite3-dev libpq-dev postgresql libmicrohttpd-dev libjansson-dev
libcairo2-dev libpango1.0-dev libzbar-dev libpng-dev libcurl4-openssl-dev libcmocka-dev libsystemd-dev libcsv-dev
fonts-noto-core fonts-dejavu-core
minisign zbar-tools zxing-cpp-tools python3 poppler-utils librsvg2-bin qrencode wrk curl jq sqlite3 procps time faketime
nginx-light openssl prometheus
libclang-rt-14-dev valgrind
python3-jsonschema python3-yaml chromium
python3-flask python3-nacl gunicorn"
# make openapi-lint runs @redocly/cli: Debian's node and npm unless the machine has some
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
# chromium: test_dashboard renders the dashboard headless; TEM_DEPS_EXTRA adds what a target
# alone needs
PKGS="$PKGS ${TEM_DEPS_EXTRA:-}"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
