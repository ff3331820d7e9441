#!/bin/sh
# temd behind nginx terminating TLS, configured with the server block docs/deploy.md gives
# (only its port, certificate paths and temd's port changed): with a certificate from a local
# CA made here by openssl, buyers on two networks (curl --interface) scanning through the proxy
# count as two clients, one buyer scanning again as the same one, and an X-Forwarded-For the
# buyer forges changes nothing (temd --trust-proxy 127.0.0.1).
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
DOC=$(cd "$(dirname "$0")/../../docs" && pwd)/deploy.md
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
cd "$T" || exit 1
if [ ! -x "$NGINX" ]; then
	not_ok "nginx is installed (tests/deps.sh installs nginx-light)"
	done_testing
	exit 1
fi
make_authority "HTX Năm Căn"
$TEM issue -s p.key -n 3 --product "Cua Cà Mau" --url https://tem.example.vn -o b.txt -q
CODE=$(code_at b.txt 1)
start_temd d --db l.db --trust trust.list --authority a.pub --trust-proxy 127.0.0.1 ||
	echo "# temd: $(cat d.log)"
TEMD_PORT=$(cat d.port)
$TEM register b.txt --server "$URL" -q

# a local CA and a certificate for 127.0.0.1 signed by it
ossl() { openssl "$@" >>openssl.log 2>&1; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-days 2 -subj "/CN=tem test CA"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
	-subj "/CN=127.0.0.1"
printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext
ossl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
	-extfile srv.ext
# a free loopback port for nginx
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# the documented server block (the one that listens on 443), made to run here
awk '/^```nginx$/ { on = 1; next } /^```$/ { on = 0 } on' "$DOC" |
	awk '/^server \{$/ { b = $0 "\n"; inb = 1; next } inb { b = b $0 "\n" } inb && /^\}$/ { if (b ~ /listen 443/) printf "%s", b; inb = 0 }' |
	sed -e "s|listen 443 ssl http2;|listen 127.0.0.1:$PORT ssl http2;|" -e '/listen \[::\]:443/d' \
		-e "s|ssl_certificate .*;|ssl_certificate $T/srv.pem;|" \
		-e "s|ssl_certificate_key .*;|ssl_certificate_key $T/srv.key;|" \
		-e "s|proxy_pass http://127.0.0.1:8080;|proxy_pass http://127.0.0.1:$TEMD_PORT;|" >server.conf
expect_grep "deploy.md's nginx block proxies to temd" "proxy_pass http://127.0.0.1:$TEMD_PORT;" server.conf
expect_grep "and passes the client address in X-Forwarded-For" 'X-Forwarded-For \$proxy_add_x_forwarded_for' server.conf
mkdir ngx
cat >nginx.conf <<EOF2
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx.err warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/ngx/body;
    proxy_temp_path $T/ngx/proxy;
    fastcgi_temp_path $T/ngx/fastcgi;
    uwsgi_temp_path $T/ngx/uwsgi;
    scgi_temp_path $T/ngx/scgi;
    include $T/server.conf;
}
EOF2
run_expect 0 "nginx -t accepts the configuration" "$NGINX" -t -q -p "$T/ngx" -e "$T/nginx.err" -c "$T/nginx.conf"
"$NGINX" -p "$T/ngx" -e "$T/nginx.err" -c "$T/nginx.conf" &
NGINX_PID=$!
PIDS="$PIDS $NGINX_PID"
P=https://127.0.0.1:$PORT
nginx_up() { curl -s -m 2 -o /dev/null --cacert ca.pem "$P/healthz"; }
wait_for 10 nginx_up || echo "# nginx did not answer: $(cat nginx.err)"

# page FROM: GET /c/CODE through nginx from the loopback address FROM, checked against the CA
page() {
	curl -s -m 10 --cacert ca.pem --interface "$1" -o page.html -w '%{http_code}' "$P/c/$CODE"
}
clients() { ledger_sql l.db "select count(distinct client) from scans"; }
expect_eq "a buyer on 127.0.5.1 opens the label's page over HTTPS through nginx" "200" "$(page 127.0.5.1)"
expect_eq "the scan is recorded" "1" "$(ledger_sql l.db 'select sum(scans) from code_scans')"
expect_eq "a buyer on another network (127.0.6.1) through the same proxy" "200" "$(page 127.0.6.1)"
expect_eq "counts as a second client: temd read X-Forwarded-For" "2" "$(clients)"
expect_eq "the first buyer again" "200" "$(page 127.0.5.1)"
expect_eq "is the same client" "2" "$(clients)"
curl -s -m 10 --cacert ca.pem --interface 127.0.5.1 -o "$T/out" -H 'Content-Type: application/json' \
	-H 'X-Forwarded-For: 203.0.113.7' --data-binary "{\"code\":\"$CODE\"}" "$P/api/v1/scans"
expect_eq "a forged X-Forwarded-For from the first buyer changes nothing (JSON through nginx)" \
	"4 2 seen" "$(json scans) $(json clients) $(json verdict)"
expect_eq "plain HTTP to nginx's TLS port is refused" "400" \
	"$(curl -s -m 10 --interface 127.0.7.1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/c/$CODE")"
expect_eq "and records no scan" "4" "$(ledger_sql l.db 'select sum(scans) from code_scans')"
kill "$NGINX_PID"
wait "$NGINX_PID" 2>/dev/null
stop_temd TERM
done_testing
