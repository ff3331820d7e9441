"""The straightforward tem verification server a typical team would write: Flask under gunicorn,
PyNaCl for Ed25519, Python's sqlite3 with one commit per scan. bench_naive.sh runs it beside
temd on the same codes, so temd's lead is measured on this machine, not quoted.

It does the same work per POST /api/v1/scans as temd (docs/code-format.md, "Verifying a code,
step by step", and docs/api.md): parse the JSON body and the code (bare or URL), decode base32
canonically, find the producer key in the signed trust list, check the Ed25519 signature, the
revocation, the registered batch and the expiry, then in one SQLite transaction (WAL,
synchronous=FULL, as temd) insert the scan row, upsert the code's count, count the distinct
clients (a keyed BLAKE2b hash of the /24 or /48) and write an alert row for a duplicate; the
answer is JSON with the verdict. What it leaves out: the tem_client cookie, X-Forwarded-For
and the per-day statistics temd keeps.

Setup (before gunicorn starts):
  python3 app.py init DB TRUST_LIST AUTHORITY_PUB BATCH_FILE...
checks the trust list's signature and every batch header's, and writes the producers and
batches into a new ledger DB. The app (app:app) reads NAIVE_DB; NAIVE_THRESHOLD (2) is the
number of other clients above which a code is a duplicate.
"""

import base64
import binascii
import datetime
import hashlib
import os
import sqlite3
import sys
import threading
import time

from flask import Flask, jsonify, request
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
DOMAIN = b"tem-code-v1\n"
VN = 7 * 3600

SCHEMA = """
CREATE TABLE meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE producers(key_id TEXT PRIMARY KEY, public_key BLOB NOT NULL, name TEXT NOT NULL,
    valid_from INTEGER NOT NULL, revoked INTEGER);
CREATE TABLE batches(id INTEGER PRIMARY KEY, key_id TEXT NOT NULL, first_serial INTEGER NOT NULL,
    last_serial INTEGER NOT NULL, batch_id TEXT NOT NULL, product TEXT NOT NULL,
    expires INTEGER NOT NULL, issued TEXT NOT NULL, registered INTEGER NOT NULL);
CREATE INDEX batches_by_serial ON batches(key_id, first_serial);
CREATE TABLE scans(id INTEGER PRIMARY KEY, key_id TEXT NOT NULL, serial INTEGER NOT NULL,
    at INTEGER NOT NULL, client BLOB NOT NULL, verdict TEXT NOT NULL);
CREATE INDEX scans_by_code ON scans(key_id, serial, client);
CREATE TABLE codes(key_id TEXT NOT NULL, serial INTEGER NOT NULL, scans INTEGER NOT NULL,
    first_scan INTEGER NOT NULL, last_scan INTEGER NOT NULL, PRIMARY KEY(key_id, serial));
CREATE TABLE alerts(id INTEGER PRIMARY KEY, key_id TEXT NOT NULL, serial INTEGER NOT NULL,
    clients INTEGER NOT NULL, at INTEGER NOT NULL);
"""


class Malformed(Exception):
    pass


def day_of(text):
    """Days since 1970-01-01 of a YYYY-MM-DD date."""
    return (datetime.date.fromisoformat(text) - datetime.date(1970, 1, 1)).days


def day_text(day):
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()


def key_id_text(raw):
    """minisign's spelling: the 8 bytes read as a little-endian number, 16 hex digits."""
    return raw[::-1].hex().upper()


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def public_key(line):
    raw = base64.b64decode(line, validate=True)
    if len(raw) != 42 or raw[:2] != b"Ed":
        raise ValueError("not a minisign public key")
    return raw[2:10], raw[10:]


def check_minisig(data, sig_path, pub):
    """Raises unless sig_path is a good minisign signature of data by pub (key id, key)."""
    with open(sig_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    raw = base64.b64decode(lines[1], validate=True)
    if len(raw) != 74 or raw[2:10] != pub[0]:
        raise ValueError(sig_path + ": not a signature by the authority's key")
    if raw[:2] == b"ED":
        data = hashlib.blake2b(data, digest_size=64).digest()
    elif raw[:2] != b"Ed":
        raise ValueError(sig_path + ": unknown signature algorithm")
    key = VerifyKey(pub[1])
    key.verify(data, raw[10:])
    comment = lines[2].removeprefix("trusted comment: ").encode()
    key.verify(raw[10:] + comment, base64.b64decode(lines[3], validate=True))


def read_trust(path, authority_pub):
    """The producers of a signed trust list: {raw key id: (VerifyKey, name, valid_from, revoked)}."""
    with open(authority_pub, encoding="utf-8") as f:
        auth = public_key(f.read().split("\n")[1])
    with open(path, "rb") as f:
        data = f.read()
    check_minisig(data, path + ".minisig", auth)
    lines = data.decode("utf-8").split("\n")
    if lines[0] != "tem-trust v1":
        raise ValueError(path + ": not a tem trust list")
    producers = {}
    for line in lines[1:]:
        if not line.startswith("producer "):
            continue
        _, kid, pub, valid_from, status, name = line.split(" ", 5)
        raw_id, pk = public_key(pub)
        if key_id_text(raw_id) != kid:
            raise ValueError(path + ": key id " + kid + " does not match its public key")
        revoked = day_of(status[8:]) if status.startswith("revoked:") else None
        producers[raw_id] = (pk, name, day_of(valid_from), revoked)
    return producers


def read_batch(path, producers):
    """The fields of a batch file's header, after checking its signature by the producer."""
    with open(path, "rb") as f:
        head = f.read().split(b"\n\n", 1)[0] + b"\n"
    signed, sig = head.split(b"signature: ", 1)
    fields = dict(line.split(": ", 1) for line in head.decode("utf-8").split("\n")[1:-1])
    raw_id = bytes.fromhex(fields["key-id"])[::-1]
    if raw_id not in producers:
        raise ValueError(path + ": unknown producer key " + fields["key-id"])
    VerifyKey(producers[raw_id][0]).verify(
        b"tem-batch-v1\n" + signed, base64.b64decode(sig.strip(), validate=True)
    )
    return fields


def init(db, trust, authority, batch_files):
    producers = read_trust(trust, authority)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(SCHEMA)
    with con:
        con.execute("INSERT INTO meta VALUES ('salt', ?)", (os.urandom(32),))
        for raw_id, (pk, name, valid_from, revoked) in producers.items():
            con.execute(
                "INSERT INTO producers VALUES (?, ?, ?, ?, ?)",
                (key_id_text(raw_id), pk, name, valid_from, revoked),
            )
        today = int((time.time() + VN) // 86400)
        for path in batch_files:
            b = read_batch(path, producers)
            first = int(b["first-serial"])
            con.execute(
                "INSERT INTO batches(key_id, first_serial, last_serial, batch_id, product,"
                " expires, issued, registered) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    b["key-id"],
                    first,
                    first + int(b["count"]) - 1,
                    b["batch"],
                    b["product"],
                    0 if b["expires"] == "none" else day_of(b["expires"]),
                    b["issued"],
                    today,
                ),
            )
    con.close()


def parse_code(text):
    """The 83 bytes of a bare code or a label URL; raises Malformed naming what is wrong."""
    if not isinstance(text, str) or len(text) > 2048:
        raise Malformed("not a code")
    text = text.strip()
    if "/" in text:
        at = max(text.rfind("/C/"), text.rfind("/c/"))
        if at < 0:
            raise Malformed("the URL has no /C/ part")
        text = text[at + 3 :]
        for stop in "?#":
            text = text.split(stop, 1)[0]
        if text.endswith("/"):
            text = text[:-1]
    if len(text) != 133:
        raise Malformed("code is %d characters long, expected 133" % len(text))
    text = text.upper()
    for i, c in enumerate(text):
        if c not in B32:
            raise Malformed("character %d (%r) is not in the base32 alphabet" % (i + 1, c))
    if B32.index(text[-1]) & 1:
        raise Malformed("the last character's padding bit is set")
    try:
        raw = base64.b32decode(text + "===")
    except binascii.Error as e:
        raise Malformed(str(e)) from None
    if raw[0] != 1:
        raise Malformed("unsupported code format version %d" % raw[0])
    return raw


app = Flask(__name__)
DB = os.environ.get("NAIVE_DB", "naive.db")
THRESHOLD = int(os.environ.get("NAIVE_THRESHOLD", "2"))
_producers = {}  # raw key id -> (VerifyKey, key id text, name, valid_from, revoked)
_salt = None


_local = threading.local()
_lock = threading.Lock()


def db():
    """This worker thread's connection, opened on its first request and kept (one per worker,
    not one per request as in Flask's tutorial: the kinder choice). Workers wait for each
    other's write transactions (busy_timeout) instead of failing."""
    if not hasattr(_local, "con"):
        con = sqlite3.connect(DB, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA busy_timeout=10000")
        _local.con = con
    return _local.con


def load():
    """The salt and the producers, read from the ledger once per worker."""
    global _salt
    with _lock:
        if _salt is not None:
            return
        con = db()
        for kid, pk, name, valid_from, revoked in con.execute("SELECT * FROM producers"):
            raw_id = bytes.fromhex(kid)[::-1]
            _producers[raw_id] = (VerifyKey(pk), kid, name, valid_from, revoked)
        _salt = con.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()[0]


def client_of(addr):
    """The client: a keyed hash of the IPv4 /24 or IPv6 /48, never the address."""
    if ":" in addr:
        prefix = addr.split(":")[:3]
        net = ":".join(prefix).encode()
    else:
        net = ".".join(addr.split(".")[:3]).encode()
    return hashlib.blake2b(net, digest_size=16, key=_salt).digest()


@app.post("/api/v1/scans")
def scan():
    if _salt is None:
        load()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "code" not in body:
        return jsonify(error="bad-request", message='the body must be {"code": "..."}'), 400
    out = {"verdict": "malformed", "scans": 0, "clients": 0, "first_scan": None}
    try:
        raw = parse_code(body["code"])
    except Malformed as e:
        out["reason"] = str(e)
        return jsonify(out)
    raw_id = raw[1:9]
    serial = int.from_bytes(raw[9:17], "big")
    last_day = int.from_bytes(raw[17:19], "big")
    kid = key_id_text(raw_id)
    out.update(short_id="%s-%d" % (kid, serial), serial=serial, producer={"key_id": kid})
    out["last_valid_day"] = day_text(last_day) if last_day else None
    now = time.time()
    today = int((now + VN) // 86400)
    p = _producers.get(raw_id)
    if p is None or today < p[3]:
        out.update(verdict="unknown-key", reason="the producer's key is not trusted")
        return jsonify(out)
    out["producer"]["name"] = p[2]
    try:
        p[0].verify(DOMAIN + raw[:19], raw[19:])
    except BadSignatureError:
        out.update(verdict="invalid", reason="the signature does not verify")
        return jsonify(out)
    con = db()
    batch = con.execute(
        "SELECT batch_id, product, issued, expires, registered FROM batches"
        " WHERE key_id = ? AND first_serial <= ? AND last_serial >= ?",
        (kid, serial, serial),
    ).fetchone()
    verdict = "genuine"
    if p[4] is not None and p[4] <= today and (batch is None or batch[4] >= p[4]):
        verdict, reason = "revoked", "the producer's key is revoked"
    elif batch is None or batch[3] != last_day:
        verdict, reason = "unregistered", "the serial is in no registered batch"
    elif last_day and today > last_day:
        verdict, reason = "expired", "the code is past its last valid day"
    if batch is not None:
        out.update(batch=batch[0], product=batch[1], issued=batch[2])
    client = client_of(request.remote_addr or "")
    ms = int(now * 1000)
    con.execute("BEGIN IMMEDIATE")
    try:
        others = con.execute(
            "SELECT COUNT(DISTINCT client) FROM scans WHERE key_id = ? AND serial = ?"
            " AND client != ?",
            (kid, serial, client),
        ).fetchone()[0]
        if verdict == "genuine" and others > THRESHOLD:
            verdict = "duplicate"
        elif verdict == "genuine" and others > 0:
            verdict = "seen"
        con.execute(
            "INSERT INTO scans(key_id, serial, at, client, verdict) VALUES (?, ?, ?, ?, ?)",
            (kid, serial, ms, client, verdict),
        )
        scans, first = con.execute(
            "INSERT INTO codes VALUES (?, ?, 1, ?, ?) ON CONFLICT(key_id, serial) DO UPDATE"
            " SET scans = scans + 1, last_scan = excluded.last_scan RETURNING scans, first_scan",
            (kid, serial, ms, ms),
        ).fetchone()
        if verdict == "duplicate":
            con.execute(
                "INSERT INTO alerts(key_id, serial, clients, at) VALUES (?, ?, ?, ?)",
                (kid, serial, others + 1, ms),
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    out.update(verdict=verdict, scans=scans, clients=others + 1, first_scan=iso(first))
    if verdict not in ("genuine", "seen", "duplicate"):
        out["reason"] = reason
    return jsonify(out)


if __name__ == "__main__":
    if len(sys.argv) < 6 or sys.argv[1] != "init":
        sys.exit("usage: app.py init DB TRUST_LIST AUTHORITY_PUB BATCH_FILE...")
    try:
        init(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    except (OSError, ValueError, KeyError, BadSignatureError, sqlite3.Error) as e:
        sys.exit("app.py init: %s" % e)
