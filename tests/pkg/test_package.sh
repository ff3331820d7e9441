#!/bin/sh
# The Debian packages: dpkg-buildpackage -us -uc -b on a copy of the tree (nothing installed
# on this machine), lintian without errors, both packages unpacked in a scratch root with
# dpkg -x and their files, modes and maintainer scripts checked, the unpacked tem and temd run,
# and the unit checked by systemd-analyze verify and security --offline (the exposure score is
# printed). Slow: make package-test, not make test.
. "$(dirname "$0")/../e2e/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
mkdir "$T/src" "$T/root"
# the tree as git sees it (tracked and new files, not the ignored build outputs)
(cd "$SRC" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -xf - -C "$T/src"
cd "$T/src" || exit 1
run_expect 0 "dpkg-buildpackage -us -uc -b builds" dpkg-buildpackage -us -uc -b
cp "$T/err" "$T/build.log"
expect_grep "the build drops -Werror (WERROR=)" 'make -j[0-9]* .*WERROR= all' "$T/out"
if grep -q -- '-Werror ' "$T/out"; then
	not_ok "no -Werror in the compile lines" "$(grep -m1 -- '-Werror ' "$T/out")"
else
	ok "no -Werror in the compile lines"
fi
if grep -Eq 'apt-get|deps\.sh' "$T/out"; then
	not_ok "the build installs nothing" "$(grep -Em2 'apt-get|deps\.sh' "$T/out")"
else
	ok "the build installs nothing"
fi
cd "$T" || exit 1
for p in tem temd; do
	if [ -f "${p}_${VERSION}_amd64.deb" ] || ls ${p}_"${VERSION}"_*.deb >/dev/null 2>&1; then
		ok "package $p built"
	else
		not_ok "package $p built" "$(ls "$T")"
	fi
done
lintian --allow-root --tag-display-limit 0 tem_"$VERSION"_*.changes >lintian.out 2>&1
lintian_rc=$?
sed 's/^/# lintian: /' lintian.out
if [ $lintian_rc -eq 0 ] && ! grep -q '^E: ' lintian.out; then
	ok "lintian: no errors ($(grep -c '^W: ' lintian.out) warnings)"
else
	not_ok "lintian: no errors" "exit $lintian_rc" "$(grep '^E: ' lintian.out | head -5)"
fi

for p in tem temd; do dpkg -x ${p}_"$VERSION"_*.deb root; done
dpkg-deb -e temd_"$VERSION"_*.deb ctrl
R=$T/root
# mode_of PATH: octal mode and kind as stat says, e.g. "755 regular file"
mode_of() { stat -c '%a %F' "$R$1" 2>&1; }
expect_eq "tem in /usr/bin, 0755" "755 regular file" "$(mode_of /usr/bin/tem)"
expect_eq "temd in /usr/sbin, 0755" "755 regular file" "$(mode_of /usr/sbin/temd)"
expect_eq "tem(1) installed" "644 regular file" "$(mode_of /usr/share/man/man1/tem.1.gz)"
expect_eq "temd(8) installed" "644 regular file" "$(mode_of /usr/share/man/man8/temd.8.gz)"
expect_eq "temd.8 is docs/temd.8" "$(md5sum <"$SRC/docs/temd.8")" "$(gzip -dc "$R/usr/share/man/man8/temd.8.gz" | md5sum)"
expect_eq "the unit" "644 regular file" "$(mode_of /lib/systemd/system/temd.service)"
expect_eq "/etc/default/temd" "644 regular file" "$(mode_of /etc/default/temd)"
expect_eq "/etc/tem" "755 directory" "$(mode_of /etc/tem)"
expect_eq "/var/lib/tem" "755 directory" "$(mode_of /var/lib/tem)"
expect_eq "deploy.md in temd's docs" "644 regular file" "$(mode_of /usr/share/doc/temd/deploy.md.gz)"
expect_eq "tem's package holds no temd" "" "$(dpkg-deb -c tem_"$VERSION"_*.deb | grep temd)"
expect_grep "/etc/default/temd is a conffile" '^/etc/default/temd$' ctrl/conffiles
# postinst run for real against stand-ins for the commands it calls (each logs its arguments),
# so this machine's users and units are left alone
mkdir stubs
for c in adduser chown chmod dpkg-statoverride deb-systemd-helper deb-systemd-invoke systemctl getent; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$c" "$T" >stubs/$c
done
echo 'exit 2' >>stubs/getent            # no user tem yet
echo 'exit 1' >>stubs/dpkg-statoverride # no override
chmod +x stubs/*
run_expect 0 "postinst configure (a first install) succeeds" env PATH="$T/stubs:$PATH" sh ctrl/postinst configure
expect_grep "it creates the system user tem, its home /var/lib/tem" \
	'^adduser --quiet --system --group --home /var/lib/tem --no-create-home --gecos tem verification server tem$' calls
expect_grep "gives tem /var/lib/tem" '^chown tem:tem /var/lib/tem$' calls
expect_grep "mode 0700" '^chmod 0700 /var/lib/tem$' calls
expect_grep "and enables temd.service" "^deb-systemd-helper enable temd.service" calls
sed -i 's/^exit 2$/exit 0/' stubs/getent
: >calls
run_expect 0 "postinst configure on an upgrade succeeds" env PATH="$T/stubs:$PATH" sh ctrl/postinst configure 0.0.9
if grep -q '^adduser' calls; then not_ok "and leaves the existing user tem alone" "$(cat calls)"; else ok "and leaves the existing user tem alone"; fi
expect_grep "temd depends on adduser" '^Depends:.*adduser' ctrl/control
expect_grep "and on libsystemd" '^Depends:.*libsystemd0' ctrl/control

run_expect 0 "the unpacked temd runs: --help" "$R/usr/sbin/temd" --help
expect_grep "and prints its usage" '^usage: temd ' out
run_expect 0 "temd backup --help" "$R/usr/sbin/temd" backup --help
run_expect 0 "the unpacked tem runs: --help" "$R/usr/bin/tem" --help
expect_grep "and prints its usage" '^usage: tem ' out

# systemd-analyze verify needs the unit's programs where it says: the unit as installed, with
# ExecStart pointing into the scratch root (man pages are checked above)
mkdir unit
sed "s|/usr/sbin/temd|$R/usr/sbin/temd|" "$R/lib/systemd/system/temd.service" >unit/temd.service
run_expect 0 "systemd-analyze verify: the unit is clean" systemd-analyze verify --man=no unit/temd.service
if [ -s err ]; then not_ok "and says nothing" "$(cat err)"; else ok "and says nothing"; fi
systemd-analyze security --offline=yes unit/temd.service >security.out 2>&1
score=$(sed -n 's/.*Overall exposure level for temd.service: \([0-9.]*\).*/\1/p' security.out)
echo "# systemd-analyze security --offline=yes: exposure $score"
grep '✗' security.out | sed 's/  */ /g; s/^/#   /'
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
	ok "systemd-analyze security: exposure $score (at most 2.0)"
else
	not_ok "systemd-analyze security: exposure at most 2.0" "$(tail -3 security.out)"
fi
for d in "Type=notify" "User=tem" "StateDirectory=tem" "ConfigurationDirectory=tem" "UMask=0077" \
	"ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" \
	"SystemCallFilter=@system-service" "CapabilityBoundingSet=$" "RestrictAddressFamilies=" \
	"EnvironmentFile=-/etc/default/temd" 'ExecReload=/bin/kill -HUP \$MAINPID'; do
	expect_grep "the unit has $d" "^$d" unit/temd.service
done
done_testing
