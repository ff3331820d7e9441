#!/bin/sh
# temd's readiness notification, heard as systemd hears it: a python3 listener on a unix
# datagram socket named by NOTIFY_SOCKET receives READY=1 when temd answers HTTP (the listener
# asks /healthz the moment READY=1 arrives), RELOADING=1
# then READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM (debian/temd.service is
# Type=notify). Without NOTIFY_SOCKET temd says nothing about it.
. "$(dirname "$0")/../e2e/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Năm Căn"
python3 - "$T/notify.sock" "$T/notify.log" "$T/n.port" <<'PY' &
import socket, sys
def healthz():
    """the status line of GET /healthz on the port temd wrote, or why there is none"""
    try:
        port = int(open(sys.argv[3]).read())
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return c.recv(4096).split(b"\r\n")[0].decode()
    except (OSError, ValueError) as e:
        return "no answer: %s" % e
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
checked = False
with open(sys.argv[2], "a") as f:
    while True:
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        f.write(data.decode().replace("\n", " ").strip() + "\n")
        f.flush()
        if data == b"READY=1" and not checked:
            with open(sys.argv[3] + ".checked", "w") as h:
                h.write(healthz() + "\n")
            checked = True
        if b"STOPPING=1" in data:
            break
PY
LISTENER=$!
PIDS="$PIDS $LISTENER"
wait_for 10 test -S notify.sock || echo "# the listener did not bind notify.sock"
: >notify.log
ready_seen() { grep -q '^READY=1$' notify.log; }
NOTIFY_SOCKET=$T/notify.sock
export NOTIFY_SOCKET
start_temd n --db l.db --trust trust.list --authority a.pub || echo "# temd: $(cat n.log)"
unset NOTIFY_SOCKET
if wait_for 10 ready_seen; then
	ok "temd sends READY=1 to NOTIFY_SOCKET"
else
	not_ok "temd sends READY=1 to NOTIFY_SOCKET" "got: $(cat notify.log)" "log: $(cat n.log)"
fi
wait_for 10 test -s n.port.checked
expect_eq "temd answers HTTP the moment READY=1 arrives" "HTTP/1.1 200 OK" "$(cat n.port.checked)"
kill -HUP "$TEMD_PID"
reloaded() { [ "$(grep -c '' notify.log)" -ge 3 ]; }
wait_for 10 reloaded
expect_eq "SIGHUP: RELOADING=1, then READY=1 once the trust list is reloaded" \
	"READY=1 RELOADING=1 READY=1" "$(head -n 3 notify.log | tr '\n' ' ' | sed 's/ $//')"
stop_temd TERM
expect_eq "temd stops with exit 0" "0" "$TEMD_STATUS"
wait "$LISTENER"
expect_eq "SIGTERM: STOPPING=1" "STOPPING=1" "$(sed -n 4p notify.log)"
expect_eq "and nothing else" "4" "$(grep -c '' notify.log)"
if grep -q 'cannot notify' n.log; then not_ok "no notification failed" "$(cat n.log)"; else ok "no notification failed"; fi

# a NOTIFY_SOCKET nobody listens on: temd says so once and serves all the same
NOTIFY_SOCKET=$T/nobody.sock
export NOTIFY_SOCKET
start_temd x --db l.db --trust trust.list --authority a.pub
unset NOTIFY_SOCKET
expect_eq "with no listener on NOTIFY_SOCKET temd still serves" "200" \
	"$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/healthz")"
kill -HUP "$TEMD_PID"
stop_temd TERM
expect_eq "and stops with exit 0" "0" "$TEMD_STATUS"
expect_eq "having said once that it cannot notify" "1" "$(grep -c 'cannot notify the service manager' x.log)"
done_testing
