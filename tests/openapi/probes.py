"""probes.py: the requests contract.py sends to temd, route by route (tests/e2e/test_openapi.sh
writes the fixtures: URLs, codes, PINs, batch headers, tokens)."""
import json
import os
import re
import urllib.parse

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# other networks (a client is an IPv4 /24): the buyer, another buyer, a guesser
ME, OTHER, GUESSER = "127.0.0.1", "127.0.1.2", "127.0.2.3"


def form(**fields):
    return urllib.parse.urlencode(fields)


def sample_target(c, path):
    """A concrete request target for a spec path (its parameters filled with fixtures)."""
    fx = c.fx
    return (path.replace("{code}", fx["code"]).replace("{keyid}", fx["keyid"])
            .replace("{id}", str(fx.get("alert_id", 1))))


def body_bounds(routes_src):
    """{(route label, METHOD): body bound in bytes} from temd's route table: each row's
    .label, .methods and .body_max, the bound's #define read from server/*.h."""
    src = os.path.dirname(routes_src)
    defines = {}
    for name in os.listdir(src):
        if name.endswith(".h"):
            with open(os.path.join(src, name), encoding="utf-8") as f:
                for sym, val in re.findall(r"#define\s+(\w+)\s+(\d+)", f.read()):
                    defines[sym] = int(val)
    with open(routes_src, encoding="utf-8") as f:
        text = f.read()
    bounds = {}
    for row in re.findall(r"\{\.methods = .*?\}(?=,|\s*\};)", text, re.S):
        label = re.search(r'\.label = "([^"]+)"', row)
        bound = re.search(r"\.body_max = (\w+)", row)
        if not label or not bound:
            continue
        n = int(bound.group(1)) if bound.group(1).isdigit() else defines.get(bound.group(1))
        for m in re.findall(r"RM_([A-Z]+)", row.split(",", 1)[0]):
            if n is not None:
                bounds[(label.group(1), m)] = n
    return bounds


def transport(c):
    """414, 431 and 413 on every operation that documents them: checked before routing, so
    each gets one request of its own method on its own path (413: a body one byte over the
    route's bound, read from temd's route table)."""
    bounds = body_bounds(c.fx["routes_src"])
    for path, item in c.spec["paths"].items():
        if path == "/metrics":
            continue  # the metrics listener: checked below
        for m in ("get", "head", "post", "patch"):
            op = item.get(m)
            if op is None or (path, m) in c.skipped:
                continue
            target = sample_target(c, path)
            if "414" in op["responses"]:
                # the bound is on the path: its parameter made long
                long = path.replace("{code}", "A" * 2100).replace("{keyid}", "A" * 2100)
                long = long.replace("{id}", "1" * 2100)
                if long == path:
                    c.not_ok("414 is documented on %s, a path with no parameter" % path)
                else:
                    c.probe("a path over 2048 bytes", path, m.upper(), long, 414)
            if "431" in op["responses"]:
                c.probe("headers over 16384 bytes", path, m.upper(), target, 431,
                        headers={"X-Pad": "a" * 17000})
            if "413" in op["responses"]:
                bound = bounds.get((path, m.upper()))
                if bound is None:
                    c.not_ok("413 is documented on %s %s: its bound is in the route table" %
                             (m.upper(), path), "no row of %s gives it" % c.fx["routes_src"])
                    continue
                c.probe("a body over the bound (%d bytes)" % bound, path, m.upper(), target,
                        413, headers=dict(JSON), body="{" + " " * bound + "}")


def not_allowed(c):
    """405 with Allow where documented: a method the path does not take."""
    for path, item in c.spec["paths"].items():
        ops = [m for m in ("get", "head", "post", "patch", "put", "delete") if m in item]
        doc = [m for m in ops if "405" in item[m]["responses"] and (path, m) not in c.skipped]
        if not doc:
            continue
        server = "murl" if path == "/metrics" else "url"
        for m in doc:
            c.probe("a method the route does not take", path, "DELETE", sample_target(c, path),
                    405, doc_method=m, server=server)


def buyer_pages(c):
    fx = c.fx
    code = fx["code"]
    c.probe("the home page", "/", "GET", "/", 200)
    c.probe("the home page in English", "/", "GET", "/?lang=en", 200)
    c.probe("a typed code redirects to its page", "/", "GET",
            "/?" + form(code=code.lower()), 303)
    c.probe("a typed text that is no code", "/", "GET", "/?code=nonsense", 200)
    c.probe("a genuine code's page", "/c/{code}", "GET", "/c/" + code, 200)
    c.probe("a forged code's page", "/c/{code}", "GET", "/c/" + code[:-3] + "AAA", 200)
    c.probe("a link check", "/c/{code}", "HEAD", "/c/" + code, 200)

    # the typed fallback (POST /): check, claim, taken, wrong, unknown, missing
    hid, hpin = fx["home_id"], fx["home_pin"]
    c.probe("the typed fallback checks a right PIN", "/", "POST", "/",
            200, headers=FORM, body=form(id=hid, pin=hpin))
    c.probe("the typed fallback claims", "/", "POST", "/", 201, headers=FORM,
            body=form(id=hid, pin=hpin, claim="1"))
    c.probe("another buyer claiming it", "/", "POST", "/", 409, headers=FORM,
            body=form(id=hid, pin=hpin, claim="1"), source=OTHER)
    c.probe("a wrong PIN", "/", "POST", "/", 403, headers=FORM,
            body=form(id=hid, pin=fx["wrong_pin"]), source=GUESSER)
    c.probe("a label number in no batch", "/", "POST", "/", 422, headers=FORM,
            body=form(id=fx["keyid"] + "-999999", pin="1234567890"))
    c.probe("a form without the PIN", "/", "POST", "/", 400, headers=FORM,
            body=form(id=hid))

    # the page's form (POST /c/{code})
    fcode, fpin = fx["form_code"], fx["form_pin"]
    c.probe("the page's form claims", "/c/{code}", "POST", "/c/" + fcode, 201,
            headers=FORM, body=form(pin=fpin))
    c.probe("the claimer again", "/c/{code}", "POST", "/c/" + fcode, 200,
            headers=FORM, body=form(pin=fpin))
    c.probe("another buyer", "/c/{code}", "POST", "/c/" + fcode, 409,
            headers=FORM, body=form(pin=fpin), source=OTHER)
    c.probe("a wrong PIN", "/c/{code}", "POST", "/c/" + fx["code"], 403,
            headers=FORM, body=form(pin=fx["wrong_pin"]), source=GUESSER)
    c.probe("no PIN field", "/c/{code}", "POST", "/c/" + fx["code"], 400,
            headers=FORM, body=form(lang="en"))
    c.probe("a code that is not genuine", "/c/{code}", "POST", "/c/NOTACODE", 422,
            headers=FORM, body=form(pin="1234567890"))


def buyer_json(c):
    fx = c.fx
    code = fx["code"]
    c.probe("a scan", "/api/v1/scans", "POST", "/api/v1/scans", 200, headers=JSON,
            body=json.dumps({"code": code}))
    c.probe("a scan of a label URL", "/api/v1/scans", "POST", "/api/v1/scans", 200,
            headers=JSON, body=json.dumps({"code": fx["url"] + "/C/" + code}))
    c.probe("a scan of a claimed code from another network", "/api/v1/scans", "POST",
            "/api/v1/scans", 200, headers=JSON, body=json.dumps({"code": fx["form_code"]}),
            source=OTHER)
    for what, text in (("malformed", "hello"), ("invalid", code[:-3] + "AAA")):
        c.probe("a scan of a %s code" % what, "/api/v1/scans", "POST", "/api/v1/scans", 200,
                headers=JSON, body=json.dumps({"code": text}))
    c.probe("an empty body", "/api/v1/scans", "POST", "/api/v1/scans", 400, headers=JSON,
            body="")
    c.probe("JSON that does not parse", "/api/v1/scans", "POST", "/api/v1/scans", 400,
            headers=JSON, body="{")
    c.probe("no code field", "/api/v1/scans", "POST", "/api/v1/scans", 422, headers=JSON,
            body="{}")
    c.probe("not JSON", "/api/v1/scans", "POST", "/api/v1/scans", 415,
            headers={"Content-Type": "text/plain"}, body="x")

    # batches
    reg = {"header": fx["header_registered"], "claim_key": fx["claim_key_registered"]}
    c.probe("a batch registered again", "/api/v1/batches", "POST", "/api/v1/batches", 200,
            headers=JSON, body=json.dumps(reg))
    c.probe("a new batch", "/api/v1/batches", "POST", "/api/v1/batches", 201, headers=JSON,
            body=json.dumps({"header": fx["header_new"], "claim_key": fx["claim_key_new"]}))
    c.probe("a header that does not parse", "/api/v1/batches", "POST", "/api/v1/batches", 400,
            headers=JSON, body=json.dumps({"header": "tem-batch v1\nnonsense\n"}))
    c.probe("a key not in the trust list", "/api/v1/batches", "POST", "/api/v1/batches", 403,
            headers=JSON, body=json.dumps({"header": fx["header_unknown"]}))
    c.probe("serials overlapping another batch", "/api/v1/batches", "POST", "/api/v1/batches",
            409, headers=JSON, body=json.dumps({"header": fx["header_overlap"],
                                                "claim_key": fx["claim_key_overlap"]}))
    c.probe("no header field", "/api/v1/batches", "POST", "/api/v1/batches", 422,
            headers=JSON, body="{}")
    c.probe("not JSON", "/api/v1/batches", "POST", "/api/v1/batches", 415,
            headers={"Content-Type": "text/plain"}, body="x")

    # claims
    cc, cp = fx["claim_code"], fx["claim_pin"]
    c.probe("a claim", "/api/v1/claims", "POST", "/api/v1/claims", 201, headers=JSON,
            body=json.dumps({"code": cc, "pin": cp}))
    c.probe("the claimer again", "/api/v1/claims", "POST", "/api/v1/claims", 200,
            headers=JSON, body=json.dumps({"code": cc, "pin": cp}))
    c.probe("another buyer", "/api/v1/claims", "POST", "/api/v1/claims", 409, headers=JSON,
            body=json.dumps({"code": cc, "pin": cp}), source=OTHER)
    c.probe("a wrong PIN", "/api/v1/claims", "POST", "/api/v1/claims", 403, headers=JSON,
            body=json.dumps({"code": fx["guess_code"], "pin": fx["wrong_pin"]}), source=GUESSER)
    c.probe("a batch without PINs", "/api/v1/claims", "POST", "/api/v1/claims", 422,
            headers=JSON, body=json.dumps({"code": fx["nopin_code"], "pin": "1234567890"}))
    c.probe("no PIN", "/api/v1/claims", "POST", "/api/v1/claims", 422, headers=JSON,
            body=json.dumps({"code": cc}))
    c.probe("a malformed code", "/api/v1/claims", "POST", "/api/v1/claims", 422, headers=JSON,
            body=json.dumps({"code": "hello", "pin": "1234567890"}))
    c.probe("JSON that does not parse", "/api/v1/claims", "POST", "/api/v1/claims", 400,
            headers=JSON, body="[")
    c.probe("not JSON", "/api/v1/claims", "POST", "/api/v1/claims", 415,
            headers={"Content-Type": "application/x-www-form-urlencoded"}, body="code=x")
    # the code's daily limit of wrong PINs: 5 more tries (one was above), then 429
    for _ in range(4):
        c.request(c.fx["url"], "POST", "/api/v1/claims", JSON,
                  json.dumps({"code": fx["guess_code"], "pin": fx["wrong_pin"]}), GUESSER)
    c.probe("past the code's wrong-PIN limit", "/api/v1/claims", "POST", "/api/v1/claims",
            429, headers=JSON,
            body=json.dumps({"code": fx["guess_code"], "pin": fx["wrong_pin"]}), source=GUESSER)

    # a key's highest serial
    c.probe("a key's highest serial", "/api/v1/producers/{keyid}/serial", "GET",
            "/api/v1/producers/%s/serial" % fx["keyid"], 200,
            expect=lambda s, h, d: [] if json.loads(d)["last_serial"] >= 1 else
            ["last_serial 0 for a key with batches"])
    c.probe("a key id that is not 16 hex digits", "/api/v1/producers/{keyid}/serial", "GET",
            "/api/v1/producers/XYZ/serial", 404)


def operators(c):
    c.probe("health on the public port", "/healthz", "GET", "/healthz", 200,
            expect=lambda s, h, d: [] if json.loads(d) == {"status": "ok"} else
            ["the public /healthz gives volumes: %s" % d])
    c.probe("health on the metrics listener", "/healthz", "GET", "/healthz", 200,
            server="murl", expect=lambda s, h, d: [] if "scans" in json.loads(d) else
            ["no volumes on the metrics listener"])
    c.probe("metrics", "/metrics", "GET", "/metrics", 200, server="murl")
    c.probe("no metrics on the public port", "/metrics", "GET", "/metrics", 404)


def rate_limited(c):
    """A temd with every limit at 1 an hour: the second request of a kind is 429."""
    fx = c.fx
    first = {}

    def twice(name, path, method, target, headers=None, body=None, net="127.0.9.1"):
        c.request(fx["lurl"], method, target, headers, body, net)
        c.probe(name, path, method, target, 429, server="lurl", headers=headers, body=body,
                source=net)

    twice("a page past the scans limit", "/c/{code}", "GET", "/c/" + fx["code"],
          net="127.0.9.1")
    twice("a JSON scan past the scans limit", "/api/v1/scans", "POST", "/api/v1/scans",
          JSON, json.dumps({"code": fx["code"]}), net="127.0.10.1")
    twice("batches past the limit", "/api/v1/batches", "POST", "/api/v1/batches", JSON,
          json.dumps({"header": fx["header_registered"]}), net="127.0.11.1")
    twice("claims past the limit", "/api/v1/claims", "POST", "/api/v1/claims", JSON,
          json.dumps({"code": fx["code"], "pin": "1234567890"}), net="127.0.12.1")
    twice("the page's form past the limit", "/c/{code}", "POST", "/c/" + fx["code"], FORM,
          form(pin="1234567890"), net="127.0.13.1")
    twice("the typed fallback past the limit", "/", "POST", "/", FORM,
          form(id=fx["home_id"], pin="1234567890"), net="127.0.14.1")


def run(c):
    operators(c)
    buyer_pages(c)
    buyer_json(c)
    rate_limited(c)
    import probes_regulator
    if c.fx.get("token"):
        probes_regulator.run(c)
    else:
        for op in [("/api/v1/token", "get")] + probes_regulator.API_OPS + \
                probes_regulator.DASHBOARD_OPS:
            c.skipped[op] = "no regulator token: this temd has no temd token create"
    transport(c)
    not_allowed(c)
    c.source_routes(c.fx["routes_src"])
    c.coverage()
