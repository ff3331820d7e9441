#!/usr/bin/env python3
"""contract.py: checks a running temd against docs/openapi.yaml (tests/e2e/test_openapi.sh).

Every probe is a real HTTP request to the running temd: its status must be one the spec
documents for that route and method, its Content-Type one of that status's media types, its
body valid against that media type's schema (JSON Schema 2020-12, the spec's $refs resolved)
and its required headers present and valid. At the end, every operation and status the spec
documents must have been probed, unless NOT_PROVOKED says why the test cannot provoke it, and
every route in temd's source (the route table) must be a path of the spec.

Usage: contract.py SPEC FIXTURES START COUNT_FILE
FIXTURES is a JSON file the shell test writes (URLs, codes, PINs, headers, tokens). TAP lines
go to stdout numbered from START + 1; the last number is written to COUNT_FILE.
"""
import copy
import csv
import http.client
import io
import json
import os
import re
import sys
import urllib.parse

import jsonschema
import yaml

METHODS = ("get", "head", "post", "put", "patch", "delete")

# What the test cannot provoke on a healthy temd, and why; (path, method, status), "*" for any.
NOT_PROVOKED = {
    ("*", "*", "503"): "temd stopping, or a ledger that cannot commit (tests/e2e/test_ledger_faults.sh)",
    ("*", "*", "500"): "out of memory only",
    ("/dashboard", "get", "500"): "a dashboard page whose ledger reads fail",
    ("/dashboard/code", "get", "500"): "a dashboard page whose ledger reads fail",
}


def resolve(node, root, seen=()):
    """node with every local $ref replaced by its target (a $ref with siblings: allOf)."""
    if isinstance(node, list):
        return [resolve(x, root, seen) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("only local $refs: " + ref)
        if ref in seen:
            raise ValueError("recursive $ref: " + ref)
        target = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        target = resolve(target, root, seen + (ref,))
        rest = {k: resolve(v, root, seen) for k, v in node.items() if k != "$ref"}
        if not rest:
            return target
        if "allOf" in rest:
            rest["allOf"] = [target] + rest["allOf"]
            return rest
        return dict(rest, allOf=[target])
    return {k: resolve(v, root, seen) for k, v in node.items()}


class Contract:
    def __init__(self, spec_path, fx, start):
        with open(spec_path, encoding="utf-8") as f:
            self.raw = yaml.safe_load(f)
        self.spec = resolve(self.raw, self.raw)
        self.fx = fx
        self.n = start
        self.failed = 0
        self.covered = set()  # (path, method, status)
        self.skipped = {}  # (path, method) -> why its checks did not run

    # --- TAP ---
    def ok(self, name):
        self.n += 1
        print("ok %d - %s" % (self.n, name), flush=True)

    def not_ok(self, name, *details):
        self.n += 1
        self.failed += 1
        print("not ok %d - %s" % (self.n, name), flush=True)
        for d in details:
            for line in str(d).splitlines()[:12]:
                print("#   " + line[:300], flush=True)

    # --- HTTP ---
    def request(self, base, method, target, headers=None, body=None, source=None):
        u = urllib.parse.urlsplit(base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10,
                                          source_address=(source, 0) if source else None)
        hdrs = dict(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        try:
            conn.request(method, target, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return r.status, r.headers, data
        finally:
            conn.close()

    # --- the spec ---
    def operation(self, path, method):
        item = self.spec["paths"].get(path)
        return item.get(method) if item else None

    def check_response(self, path, method, status, hdrs, data, head):
        """The problems of an answer against the spec, [] when none."""
        op = self.operation(path, method)
        if op is None:
            return ["the spec has no %s %s" % (method.upper(), path)]
        resp = op["responses"].get(str(status))
        if resp is None:
            return ["the spec documents no %d for %s %s (it has %s)" %
                    (status, method.upper(), path, ", ".join(sorted(op["responses"])))]
        problems = []
        for name, h in (resp.get("headers") or {}).items():
            got = hdrs.get_all(name) or []
            if not got:
                if h.get("required"):
                    problems.append("no %s header" % name)
                continue
            for v in got:
                try:
                    jsonschema.Draft202012Validator(h["schema"]).validate(v)
                except jsonschema.ValidationError as e:
                    problems.append("%s: %s" % (name, e.message))
        content = resp.get("content")
        if not content:
            return problems
        ctype = (hdrs.get("Content-Type") or "").replace(" ", "").lower()
        media = None
        for k, v in content.items():
            if k.replace(" ", "").lower() == ctype:
                media = v
        if media is None:
            return problems + ["Content-Type %r is none of %s" % (ctype, ", ".join(content))]
        if head:
            if data:
                problems.append("a HEAD answer with a body")
            return problems
        text = data.decode("utf-8")  # every answer is UTF-8
        if ctype.startswith("application/json"):
            try:
                instance = json.loads(text)
            except ValueError as e:
                return problems + ["not JSON: %s" % e]
        elif ctype.startswith("text/csv"):
            if not text.startswith("\ufeff"):
                problems.append("CSV without a UTF-8 BOM")
            rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
            if text and "\r\n" not in text:
                problems.append("CSV lines not ended by CRLF")
            want = media.get("x-tem-columns")
            if want and (not rows or rows[0] != want):
                problems.append("CSV columns %s, documented %s" % (rows[0] if rows else None, want))
            instance = text
        else:
            instance = text
        v = jsonschema.Draft202012Validator(media.get("schema", {}))
        errs = sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))
        for e in errs[:5]:
            where = "/".join(str(p) for p in e.absolute_path) or "(body)"
            problems.append("%s: %s" % (where, e.message[:200]))
        return problems

    def probe(self, name, path, method, target, want, doc_method=None, server="url",
              headers=None, body=None, source=None, expect=None):
        """Sends method target to server; the status must be want, and the answer valid for
        path's doc_method (default method) operation. Returns (status, headers, data)."""
        doc_method = (doc_method or method).lower()
        try:
            status, hdrs, data = self.request(self.fx[server], method, target, headers, body,
                                              source)
        except (OSError, http.client.HTTPException) as e:
            self.not_ok("%s: %s %s" % (name, method, target[:80]), "no answer: %s" % e)
            return None, None, b""
        label = "%s: %s %s -> %d" % (name, method, path, status)
        problems = []
        if status != want:
            problems.append("expected %d, got %d: %s" % (want, status, data[:200]))
        problems += self.check_response(path, doc_method, status, hdrs, data, method == "HEAD")
        if expect is not None and not problems:
            problems += expect(status, hdrs, data)
        if problems:
            self.not_ok(label, *problems)
        else:
            self.ok(label)
            self.covered.add((path, doc_method, str(status)))
        return status, hdrs, data

    def json_of(self, data):
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError:
            return None

    # --- coverage ---
    def documented(self):
        for path, item in self.spec["paths"].items():
            for m in METHODS:
                if m in item:
                    for status in item[m]["responses"]:
                        yield path, m, status

    def why_not(self, path, method, status):
        for key in ((path, method, status), (path, "*", status), ("*", "*", status)):
            if key in NOT_PROVOKED:
                return NOT_PROVOKED[key]
        return self.skipped.get((path, method))

    def coverage(self):
        missing, skipped = [], {}
        for path, m, status in self.documented():
            if (path, m, status) in self.covered:
                continue
            why = self.why_not(path, m, status)
            if why:
                skipped.setdefault(why, []).append("%s %s %s" % (m.upper(), path, status))
            else:
                missing.append("%s %s %s" % (m.upper(), path, status))
        for why, what in skipped.items():
            self.ok("%d statuses not provoked here (%s): %s # SKIP" % (len(what), why,
                                                                     "; ".join(what)))
        if missing:
            self.not_ok("every documented route and status was checked against temd",
                        "never probed: " + "; ".join(missing))
        else:
            self.ok("every documented route and status was checked against temd")

    def source_routes(self, src):
        """Every route path in temd's route table is a path of the spec."""
        with open(src, encoding="utf-8") as f:
            text = f.read()
        if os.path.basename(src) == "http.c":
            text = text[text.index("classify("):]
            text = text[:text.index("\n}\n")]
        paths = sorted(set(re.findall(r'"(/[A-Za-z0-9_./{}-]*)"', text)))
        spec_paths = list(self.spec["paths"])
        # the public /c/ prefix is matched by characters in http.c, not a string
        if os.path.basename(src) == "http.c":
            paths.append("/c/")
        lacking = []
        for p in paths:
            if p in spec_paths:
                continue
            if p.endswith("/") and any(s.startswith(p) and len(s) > len(p) for s in spec_paths):
                continue
            lacking.append(p)
        if lacking:
            self.not_ok("every route of %s is in the spec" % src, "not in docs/openapi.yaml: " +
                        ", ".join(lacking))
        else:
            self.ok("every route of %s (%d) is in the spec" % (src, len(paths)))


def main():
    spec, fixtures, start, count_file = sys.argv[1:5]
    with open(fixtures, encoding="utf-8") as f:
        fx = json.load(f)
    c = Contract(spec, fx, int(start))
    try:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import probes  # noqa: E402  (beside this file)
        probes.run(c)
    except Exception as e:  # a crash of the test itself is a failure, said plainly
        import traceback
        c.not_ok("the contract test ran to its end", traceback.format_exc())
    with open(count_file, "w") as f:
        f.write("%d %d\n" % (c.n, c.failed))


if __name__ == "__main__":
    main()
