#!/bin/sh
# valgrind.sh TEST...: runs unit test programs and e2e scripts (through tests/run.sh) with
# every test program, tem and temd under valgrind's memcheck, each process logging to its own
# file; then fails when any process reported a memory error (invalid read or write, use of
# uninitialised values, bad free). Leaks are left to make check's LeakSanitizer.
# B is the build folder whose tem and temd run (make valgrind builds build/valgrind).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
vg="$B/vg"
logs="$vg/logs"
rm -rf "$vg"
mkdir -p "$vg/bin" "$vg/unit" "$logs"
VALGRIND="valgrind --tool=memcheck --error-exitcode=99 --leak-check=no --num-callers=30 --suppressions=$root/tests/valgrind.supp"
# wrapper NAME PROGRAM: a script that runs PROGRAM under valgrind with its arguments
wrapper() {
	printf '#!/bin/sh\nexec %s --log-file=%s/%s.%%p.log %s "$@"\n' "$VALGRIND" "$logs" "$1" "$2" \
		>"$vg/bin/$1"
	chmod +x "$vg/bin/$1"
}
wrapper tem "$B/cli/tem"
wrapper temd "$B/server/temd"
# nm on a wrapper reads the program it wraps (test_temd.sh checks what temd imports)
mkdir -p "$vg/path"
cat >"$vg/path/nm" <<NM
#!/bin/sh
for a; do
	shift
	case "\$a" in
	"$vg/bin/temd") a="$B/server/temd" ;;
	"$vg/bin/tem") a="$B/cli/tem" ;;
	esac
	set -- "\$@" "\$a"
done
exec $(command -v nm) "\$@"
NM
chmod +x "$vg/path/nm"
PATH="$vg/path:$PATH"
export PATH
tests=""
for t in "$@"; do
	case "$t" in
	*.sh) tests="$tests $t" ;;
	*)
		name=$(basename "$t")
		printf 'exec %s --log-file=%s/%s.%%p.log %s\n' "$VALGRIND" "$logs" "$name" \
			"$root/$t" >"$vg/unit/$name.sh"
		tests="$tests $vg/unit/$name.sh"
		;;
	esac
done
start=$(date +%s)
# shellcheck disable=SC2086
TEM="$vg/bin/tem" TEMD="$vg/bin/temd" BIN="$B" sh "$root/tests/run.sh" $tests
rc=$?
procs=$(find "$logs" -name '*.log' | wc -l)
bad=$(grep -l 'ERROR SUMMARY: [1-9]' "$logs"/*.log 2>/dev/null)
echo "valgrind: $procs processes checked in $(($(date +%s) - start)) s"
if [ -n "$bad" ]; then
	echo "valgrind: memory errors in:"
	for f in $bad; do
		echo "== $f"
		grep -A20 -m3 '^==[0-9]*== [A-Z]' "$f" | head -60
	done
	exit 1
fi
echo "valgrind: no memory errors"
exit $rc
