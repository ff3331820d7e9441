#!/usr/bin/env python3
"""cookie_proxy.py PORT_FILE UPSTREAM COOKIE: a loopback HTTP proxy for headless Chromium, which
cannot be given a cookie on its command line. Each GET is sent on to UPSTREAM (temd's base URL)
with the Cookie header COOKIE; the answer comes back with its status, body and the headers a
page's rendering depends on (Content-Type, Content-Security-Policy, ...), so Chromium renders the
dashboard exactly as temd serves it. Writes its port to PORT_FILE; standard library only."""
import http.server
import os
import sys
import urllib.error
import urllib.request

PORT_FILE, UPSTREAM, COOKIE = sys.argv[1:4]
KEEP = {"content-type", "content-security-policy", "content-language", "x-content-type-options",
        "referrer-policy", "cache-control", "location"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        req = urllib.request.Request(UPSTREAM + self.path, headers={
            "Cookie": COOKIE, "Accept-Language": self.headers.get("Accept-Language", "vi")})
        try:
            answer = OPENER.open(req, timeout=20)
        except urllib.error.HTTPError as e:
            answer = e
        body = answer.read()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            if name.lower() in KEEP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
