#!/bin/sh
# Fails the build when a folder reaches past its layer (shared/DESIGN.md, "Layout"):
#   keys/    libc and libsodium only; tem headers of keys/ only
#   label/   keys/ and label/; no SQL, HTTP, JSON or HTTP-client library
#   cli/     keys/ and label/; no server/ header and no drawing library (label/ draws)
#   server/  keys/, label/ code parsing and verdicts; no drawing, QR or HTTP-client library;
#            one ledger interface (server/ledger.h): sqlite3.h only in server/ledger_sqlite*.c,
#            libpq-fe.h only in server/ledger_pg*.c
# Prints each offending line as FILE:LINE: #include ... and exits 1.
cd "$(dirname "$0")/.." || exit 2
bad=0
check() { # folder, extended regex of includes it must not have
	hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$1"/*.[ch] 2>/dev/null)
	if [ -n "$hits" ]; then
		printf '%s\n' "$hits" | sed "s|\$|   <- $1/ may not include this|" >&2
		bad=1
	fi
}
check keys 'label/|cli/|server/|sqlite3|libpq|microhttpd|jansson|curl/|cairo|pango|qrencode|zbar'
check label 'cli/|server/|sqlite3|libpq|microhttpd|jansson|curl/'
check cli "server/|sqlite3|libpq|microhttpd|cairo|pango|qrencode|zbar"
check server 'cli/|label/(render|qr|check|sign|output|pool|serial|issue|job|layout)|cairo|pango|qrencode|zbar|curl/'
only_in() { # server/ files (a glob of names) alone that may include it, extended regex of it
	hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" server/*.[ch] \
		2>/dev/null | while IFS=: read -r f rest; do
		case ${f#server/} in $1) ;; *) printf '%s:%s\n' "$f" "$rest" ;; esac
	done)
	if [ -n "$hits" ]; then
		printf '%s\n' "$hits" | sed "s|\$|   <- only server/$1 may include this|" >&2
		bad=1
	fi
}
only_in 'ledger_sqlite*.c' 'sqlite3'
only_in 'ledger_pg*.c' 'libpq-fe'
[ "$bad" -eq 0 ] || { echo "layering: the includes above cross a layer (tests/layering.sh)" >&2; exit 1; }
