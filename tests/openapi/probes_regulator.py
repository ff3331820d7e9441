"""probes_regulator.py: contract.py's requests to the regulator routes (a bearer token) and the
dashboard (a session cookie). Each group runs when temd's source has its routes (the fixtures
say which); a group whose routes are not in this temd is reported as skipped, by operation."""
import csv
import io
import json
import urllib.parse

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LISTS = ("/api/v1/batches", "/api/v1/scans", "/api/v1/alerts")


def auth(c, token=None):
    return {"Authorization": "Bearer " + (token or c.fx["token"])}


def token_route(c):
    c.probe("who am I", "/api/v1/token", "GET", "/api/v1/token", 200, headers=auth(c),
            expect=lambda s, h, d: [] if json.loads(d)["name"] == "contract" else
            ["not the token's name: %s" % d])
    if c.fx.get("ptoken"):
        c.probe("who am I, a producer's token", "/api/v1/token", "GET", "/api/v1/token", 200,
                headers=auth(c, c.fx["ptoken"]),
                expect=lambda s, h, d: [] if json.loads(d)["producer"] == c.fx["keyid"] else
                ["not the producer's key: %s" % d])
    c.probe("no token", "/api/v1/token", "GET", "/api/v1/token", 401)
    c.probe("a wrong token", "/api/v1/token", "GET", "/api/v1/token", 401,
            headers=auth(c, "tem_" + "A" * 43))
    c.probe("a token in the URL", "/api/v1/token", "GET", "/api/v1/token?token=x", 400,
            headers=auth(c))
    first = c.request(c.fx["lurl"], "GET", "/api/v1/token", auth(c, "tem_" + "C" * 43),
                      None, "127.0.20.1")[0]
    if first != 401:
        c.not_ok("a first refused token on the rate-limited temd: 401", "got %s" % first)
    c.probe("refused tokens past the network's sign-in limit", "/api/v1/token", "GET",
            "/api/v1/token", 429, server="lurl", headers=auth(c, "tem_" + "B" * 43),
            source="127.0.20.1")


def csv_rows(data):
    text = data.decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text, newline="")))


def lists(c):
    """The JSON and CSV lists, their pages walked with cursors, and their bad parameters."""
    for path in LISTS:
        name = path.rsplit("/", 1)[1]
        st, h, d = c.probe(name, path, "GET", path, 200, headers=auth(c))
        whole = c.json_of(d) or {"items": []}
        # every page once: limit=1 and the cursors
        seen, target, pages = [], path + "?limit=1", 0
        while target and pages < 200:
            st, h, d = c.probe("%s, a page" % name, path, "GET", target, 200, headers=auth(c))
            page = c.json_of(d) or {}
            if st != 200 or not page:
                break
            seen += page["items"]
            pages += 1
            nxt = page.get("next_cursor")
            target = nxt and path + "?" + urllib.parse.urlencode({"limit": 1, "cursor": nxt})
        if [json.dumps(x, sort_keys=True) for x in seen] == \
                [json.dumps(x, sort_keys=True) for x in whole["items"]]:
            c.ok("%s: the pages of limit=1 give the whole list once (%d rows)" %
                 (name, len(seen)))
        else:
            c.not_ok("%s: the pages of limit=1 give the whole list once" % name,
                     "pages: %d rows, whole: %d rows" % (len(seen), len(whole["items"])))
        st, h, d = c.probe("%s as CSV" % name, path, "GET", path + "?format=csv", 200,
                           headers=auth(c))
        if st == 200:
            rows = csv_rows(d)
            if len(rows) - 1 == len(whole["items"]):
                c.ok("%s: the CSV has the JSON's rows (%d)" % (name, len(rows) - 1))
            else:
                c.not_ok("%s: the CSV has the JSON's rows" % name,
                         "CSV %d, JSON %d" % (len(rows) - 1, len(whole["items"])))
        c.probe("%s as CSV by Accept" % name, path, "GET", path, 200,
                headers=dict(auth(c), Accept="text/csv"))
        for bad in ("limit=0", "limit=1001", "limit=-5", "from=yesterday", "format=xml",
                    "cursor=AAAAAAAA", "nonsense=1", "producer=%27%20OR%201%3D1--",
                    "to=%3Cscript%3E"):
            c.probe("%s: %s" % (name, bad), path, "GET", path + "?" + bad, 400,
                    headers=auth(c))
        c.probe("%s without a token" % name, path, "GET", path, 401)


def codes(c):
    fx = c.fx
    c.probe("a code", "/api/v1/codes/{code}", "GET", "/api/v1/codes/" + fx["code"], 200,
            headers=auth(c))
    c.probe("a code by short id", "/api/v1/codes/{code}", "GET",
            "/api/v1/codes/" + fx["home_id"], 200, headers=auth(c),
            expect=lambda s, h, d: [] if json.loads(d)["signature_checked"] is False else
            ["signature_checked is not false for a short id"])
    c.probe("a claimed, scanned code's history page", "/api/v1/codes/{code}", "GET",
            "/api/v1/codes/%s?limit=1" % fx["form_code"], 200, headers=auth(c))
    c.probe("a code of a key nobody knows", "/api/v1/codes/{code}", "GET",
            "/api/v1/codes/0123456789ABCDEF-1", 404, headers=auth(c))
    c.probe("a malformed code", "/api/v1/codes/{code}", "GET", "/api/v1/codes/hello-world-x",
            400, headers=auth(c))
    c.probe("a code without a token", "/api/v1/codes/{code}", "GET",
            "/api/v1/codes/" + fx["code"], 401)


def alerts(c):
    st, h, d = c.request(c.fx["url"], "GET", "/api/v1/alerts?limit=1", auth(c))
    items = (c.json_of(d) or {}).get("items") or []
    if not items:
        c.not_ok("the staged duplicate raised an alert", d[:200])
        return
    aid = items[0]["id"]
    c.fx["alert_id"] = aid
    p = "/api/v1/alerts/{id}"
    c.probe("an alert", p, "GET", "/api/v1/alerts/%d" % aid, 200, headers=auth(c))
    c.probe("no such alert", p, "GET", "/api/v1/alerts/999999", 404, headers=auth(c))
    c.probe("an alert id that is no number", p, "GET", "/api/v1/alerts/x1", 400,
            headers=auth(c))
    c.probe("an alert without a token", p, "GET", "/api/v1/alerts/%d" % aid, 401)
    c.probe("investigating", p, "PATCH", "/api/v1/alerts/%d" % aid, 200,
            headers=dict(auth(c), **JSON), body=json.dumps({"status": "investigating"}))
    c.probe("closed with a reason and a note", p, "PATCH", "/api/v1/alerts/%d" % aid, 200,
            headers=dict(auth(c), **JSON),
            body=json.dumps({"status": "closed", "reason": "buyer-error", "note": "một người"}),
            expect=lambda s, h, d: [] if len(json.loads(d)["changes"]) >= 2 else
            ["the changes are not kept"])
    c.probe("closed without a reason", p, "PATCH", "/api/v1/alerts/%d" % aid, 422,
            headers=dict(auth(c), **JSON), body=json.dumps({"status": "closed"}))
    c.probe("JSON that does not parse", p, "PATCH", "/api/v1/alerts/%d" % aid, 400,
            headers=dict(auth(c), **JSON), body="{")
    c.probe("not JSON", p, "PATCH", "/api/v1/alerts/%d" % aid, 415, headers=auth(c),
            body="status=open")
    c.probe("no such alert", p, "PATCH", "/api/v1/alerts/999999", 404,
            headers=dict(auth(c), **JSON), body=json.dumps({"status": "open"}))
    c.probe("a workflow step without a token", p, "PATCH", "/api/v1/alerts/%d" % aid, 401,
            headers=JSON, body=json.dumps({"status": "open"}))
    c.probe("alerts by type and status", "/api/v1/alerts", "GET",
            "/api/v1/alerts?type=duplicate&status=closed&since=2020-01-01", 200,
            headers=auth(c))


def stats_producers(c):
    p = "/api/v1/stats"
    for q in ("", "?by=day", "?by=producer", "?by=batch", "?from=2026-01-01&to=2026-01-31"):
        c.probe("stats %s" % q, p, "GET", p + q, 200, headers=auth(c))
    c.probe("stats as CSV", p, "GET", p + "?format=csv&by=producer", 200, headers=auth(c))
    for bad in ("by=week", "from=2020-01-01&to=2026-01-01", "to=2026-13-01"):
        c.probe("stats: %s" % bad, p, "GET", p + "?" + bad, 400, headers=auth(c))
    c.probe("stats without a token", p, "GET", p, 401)
    p = "/api/v1/producers"
    c.probe("the producers", p, "GET", p, 200, headers=auth(c),
            expect=lambda s, h, d: [] if len(json.loads(d)["items"]) == 1 else
            ["not the one producer of the trust list"])
    c.probe("the producers as CSV", p, "GET", p + "?format=csv", 200, headers=auth(c))
    c.probe("the producers: format=xml", p, "GET", p + "?format=xml", 400, headers=auth(c))
    c.probe("the producers without a token", p, "GET", p, 401)


def sign_in_form(status, hdrs, data):
    return [] if b'name="token"' in data else ["not the sign-in form: %s" % data[:200]]


def redirect_says(what):
    """An expect: the 303's Location carries what (the step's outcome, said on the page)."""
    return lambda s, h, d: [] if what in (h.get("Location") or "") else \
        ["the redirect does not say %s: %s" % (what, h.get("Location"))]


CSV_LISTS = {  # the dashboard's CSV links and the API list each one is
    "alerts": "/api/v1/alerts", "producers": "/api/v1/producers",
    "batches": "/api/v1/batches", "stats": "/api/v1/stats", "scans": "/api/v1/scans"}
STATS_COLUMNS = {
    "day": ["day"], "producer": ["key_id", "producer"],
    "batch": ["key_id", "producer", "batch", "batch_id"]}
COUNTERS = ["scans", "codes", "claims", "genuine", "seen", "duplicate", "sold",
            "unregistered", "expired", "revoked"]


def csv_link(c, name, cookie):
    """GET /dashboard/csv/NAME?format=csv with the session: a CSV download (the BOM and the
    documented columns are checked by contract.py) with the rows of the API's own list."""
    path = "/dashboard/csv/" + name
    s = {"Cookie": cookie}

    def same_rows(query):
        def check(status, hdrs, data):
            problems = []
            disp = hdrs.get("Content-Disposition") or ""
            if 'filename="tem-%s-' % name not in disp:
                problems.append("no download named tem-%s-DATE.csv: %r" % (name, disp))
            rows = csv_rows(data)
            if name == "stats":
                by = urllib.parse.parse_qs(query).get("by", ["day"])[0]
                if rows[:1] != [STATS_COLUMNS[by] + COUNTERS]:
                    problems.append("stats by %s: columns %s" % (by, rows[:1]))
            api = c.request(c.fx["url"], "GET", CSV_LISTS[name] + "?" + query,
                            auth(c))[2]
            want = len(csv_rows(api)) - 1
            if len(rows) - 1 != want:
                problems.append("%d rows, the API's CSV %d" % (len(rows) - 1, want))
            return problems
        return check

    queries = ["format=csv"]
    if name == "stats":
        queries = ["format=csv&by=day", "format=csv&by=batch&from=2026-01-01&to=2026-12-31"]
    for q in queries:
        c.probe("the page's %s CSV link" % name, path, "GET", path + "?" + q, 200,
                headers=s, expect=same_rows(q))
    c.probe("the %s link as JSON (no format)" % name, path, "GET", path, 200, headers=s,
            expect=lambda st, h, d: [] if (h.get("Content-Type") or "").startswith(
                "application/json") else ["not JSON: %s" % h.get("Content-Type")])
    c.probe("the %s link without a session: the sign-in form" % name, path, "GET",
            path + "?format=csv", 200, expect=sign_in_form)
    c.probe("the %s link with a bad parameter" % name, path, "GET",
            path + "?format=xml", 400, headers=s)


def dashboard(c):
    fx = c.fx
    c.probe("the sign-in form", "/dashboard", "GET", "/dashboard", 200, expect=sign_in_form)
    st, h, d = c.probe("signing in", "/dashboard/sign-in", "POST", "/dashboard/sign-in", 303,
                       headers=FORM, body=urllib.parse.urlencode({"token": fx["token"]}))
    cookie = ""
    for v in (h.get_all("Set-Cookie") or []) if h else []:
        if v.startswith("tem_session="):
            cookie = v.split(";", 1)[0]
    c.probe("a wrong token", "/dashboard/sign-in", "POST", "/dashboard/sign-in", 401,
            headers=FORM, body=urllib.parse.urlencode({"token": "tem_" + "D" * 43}))
    c.probe("a cross-site sign-in", "/dashboard/sign-in", "POST", "/dashboard/sign-in", 403,
            headers=dict(FORM, Origin="https://elsewhere.example"),
            body=urllib.parse.urlencode({"token": fx["token"]}))
    s = {"Cookie": cookie}
    c.probe("the dashboard", "/dashboard", "GET", "/dashboard?lang=en", 200, headers=s,
            expect=lambda st, h, d: [] if b"/dashboard/csv/alerts?format=csv" in d else
            ["no alerts CSV link on the page"])
    c.probe("a session that does not check: the sign-in form", "/dashboard", "GET",
            "/dashboard", 200, headers={"Cookie": "tem_session=AAAA"}, expect=sign_in_form)
    c.probe("a token in the URL", "/dashboard", "GET", "/dashboard?token=x", 400, headers=s)
    c.probe("a code's history", "/dashboard/code", "GET",
            "/dashboard/code?" + urllib.parse.urlencode({"code": fx["form_code"]}), 200,
            headers=s)
    c.probe("a code's history without a session: the sign-in form", "/dashboard/code", "GET",
            "/dashboard/code?code=" + fx["home_id"], 200, expect=sign_in_form)
    c.probe("a code of a key nobody knows", "/dashboard/code", "GET",
            "/dashboard/code?code=0123456789ABCDEF-1", 404, headers=s)
    c.probe("a malformed code", "/dashboard/code", "GET", "/dashboard/code?code=hello", 400,
            headers=s, expect=lambda st, h, d: [] if d.startswith(b"<!doctype html>") else
            ["not the page"])
    c.probe("a token in the URL", "/dashboard/code", "GET", "/dashboard/code?token=x", 400,
            headers=s, expect=lambda st, h, d: [] if b"bad-parameter" in d else
            ["not bad-parameter"])
    if "alert_id" in fx:
        p = "/dashboard/alerts/{id}"
        aid = fx["alert_id"]
        t = "/dashboard/alerts/%d" % aid
        c.probe("a workflow button", p, "POST", t, 303, headers=dict(FORM, **s),
                body=urllib.parse.urlencode({"status": "investigating"}),
                expect=redirect_says("done=%d&to=investigating" % aid))
        c.probe("closed without a reason: said on the page", p, "POST", t, 303,
                headers=dict(FORM, **s), body=urllib.parse.urlencode({"status": "closed"}),
                expect=redirect_says("fail=%d&why=reason" % aid))
        c.probe("an unknown status: said on the page", p, "POST", t, 303,
                headers=dict(FORM, **s), body=urllib.parse.urlencode({"status": "gone"}),
                expect=redirect_says("fail=%d&why=status" % aid))
        c.probe("a note over 1000 bytes: said on the page", p, "POST", t, 303,
                headers=dict(FORM, **s),
                body=urllib.parse.urlencode({"status": "open", "note": "x" * 1001}),
                expect=redirect_says("fail=%d&why=note" % aid))
        c.probe("no such alert: said on the page", p, "POST", "/dashboard/alerts/999999", 303,
                headers=dict(FORM, **s), body=urllib.parse.urlencode({"status": "open"}),
                expect=redirect_says("fail=999999&why=gone"))
        c.probe("an alert id that is no number", p, "POST", "/dashboard/alerts/x1", 404,
                headers=dict(FORM, **s), body=urllib.parse.urlencode({"status": "open"}))
        c.probe("a token in the URL", p, "POST", t + "?token=x", 400,
                headers=dict(FORM, **s), body=urllib.parse.urlencode({"status": "open"}))
        c.probe("without a session", p, "POST", t, 401, headers=FORM,
                body=urllib.parse.urlencode({"status": "open"}), expect=sign_in_form)
        c.probe("a cross-site post", p, "POST", t, 403,
                headers=dict(FORM, Origin="https://elsewhere.example", **s),
                body=urllib.parse.urlencode({"status": "open"}))
    for name in CSV_LISTS:
        csv_link(c, name, cookie)
    # a network out of sign-in attempts (1 an hour on the rate-limited temd): the sign-in
    # form says so, and every session route answers 429 whatever session it shows
    net = "127.0.21.1"
    first = c.request(fx["lurl"], "POST", "/dashboard/sign-in", FORM,
                      urllib.parse.urlencode({"token": "tem_" + "F" * 43}), net)[0]
    if first != 401:
        c.not_ok("a first refused sign-in on the rate-limited temd: 401", "got %s" % first)
    c.probe("sign-ins past the network's limit", "/dashboard/sign-in", "POST",
            "/dashboard/sign-in", 429, server="lurl", headers=FORM,
            body=urllib.parse.urlencode({"token": fx["token"]}), source=net)
    gone = dict(FORM, Cookie="tem_session=AAAA")
    for path, m, target, body in (
            ("/dashboard", "GET", "/dashboard", None),
            ("/dashboard/code", "GET", "/dashboard/code?code=" + fx["home_id"], None),
            ("/dashboard/alerts/{id}", "POST", "/dashboard/alerts/1", "status=open")) + tuple(
                ("/dashboard/csv/" + n, "GET", "/dashboard/csv/%s?format=csv" % n, None)
                for n in CSV_LISTS):
        c.probe("a session past the network's sign-in limit", path, m, target, 429,
                server="lurl", headers=gone, body=body, source=net)
    c.probe("a cross-site sign-out", "/dashboard/sign-out", "POST", "/dashboard/sign-out",
            403, headers=dict(FORM, Origin="https://elsewhere.example", **s), body="")
    c.probe("signing out", "/dashboard/sign-out", "POST", "/dashboard/sign-out", 303,
            headers=dict(FORM, **s), body="")


API_OPS = [("/api/v1/batches", "get"), ("/api/v1/scans", "get"), ("/api/v1/codes/{code}", "get"),
           ("/api/v1/alerts", "get"), ("/api/v1/alerts/{id}", "get"),
           ("/api/v1/alerts/{id}", "patch"), ("/api/v1/stats", "get"),
           ("/api/v1/producers", "get")]
DASHBOARD_OPS = [("/dashboard", "get"), ("/dashboard/sign-in", "post"),
                 ("/dashboard/sign-out", "post"), ("/dashboard/alerts/{id}", "post"),
                 ("/dashboard/code", "get")] + [
                    ("/dashboard/csv/" + n, "get") for n in CSV_LISTS]


def run(c):
    token_route(c)
    if c.fx.get("api"):
        # the network token_route left past its sign-in limit: every route says 429
        for path, m in API_OPS:
            target = path.replace("{code}", c.fx["code"]).replace("{id}", "1")
            c.probe("a wrong token past the sign-in limit", path, m.upper(), target, 429,
                    server="lurl", headers=dict(auth(c, "tem_" + "E" * 43), **JSON),
                    body=json.dumps({"status": "open"}) if m == "patch" else None,
                    source="127.0.20.1")
        lists(c)
        codes(c)
        alerts(c)
        stats_producers(c)
    else:
        for op in API_OPS:
            c.skipped[op] = "the regulator API's routes (server/routes_api.c) are not in this temd"
    if c.fx.get("dashboard"):
        dashboard(c)
    else:
        for op in DASHBOARD_OPS:
            c.skipped[op] = "the dashboard (server/routes_dashboard.c) is not in this temd"
