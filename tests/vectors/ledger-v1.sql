-- A ledger at schema version 1, as temd wrote it before migration 2: one batch of three
-- codes; serial 1 scanned by four clients (threshold 1: an alert), serial 2 by one.
-- test_ledger loads it and checks that migration 2 keeps every count. The alert row was
-- set back by one scan by hand, as v1 left it when a later scan of an alerted code was no
-- duplicate (its batch had expired, say): migration 2 makes it exact again.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta(
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO meta VALUES('client-salt',X'50f89286df18bb78f872ba76e5adba90fb1d2b09660050795e9b98b7a17fc22b');
CREATE TABLE producers(
  key_id TEXT PRIMARY KEY,       -- 16 hex digits
  public_key TEXT NOT NULL,      -- minisign base64 line
  name TEXT NOT NULL,
  valid_from INTEGER NOT NULL,   -- day since 1970-01-01
  revoked INTEGER,               -- day, NULL when active
  updated INTEGER NOT NULL       -- Unix ms
) WITHOUT ROWID;
INSERT INTO producers VALUES('2A2F99D185276131','RWQxYSeF0ZkvKvT0MpXm+3KJUZhnrZAWST0RZPnRazTmT6YFxG5L4QdS','HTX',20782,NULL,1795605974000);
CREATE TABLE batches(
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL,
  first_serial INTEGER NOT NULL,
  last_serial INTEGER NOT NULL,
  batch_id TEXT NOT NULL,
  product TEXT NOT NULL,
  producer TEXT NOT NULL,
  url TEXT NOT NULL,
  issued INTEGER NOT NULL,       -- Unix s
  last_day INTEGER NOT NULL,     -- day, 0 = none
  header TEXT NOT NULL,
  registered INTEGER NOT NULL    -- Unix ms
);
INSERT INTO batches VALUES(1,'2A2F99D185276131',1,3,'v1','Cua Cà Mau','','HTTP://127.0.0.1:8080',1795605973,0,replace('tem-batch v1\nkey-id: 2A2F99D185276131\nproducer: \nproduct: Cua Cà Mau\nbatch: v1\nfirst-serial: 1\ncount: 3\nissued: 2026-11-25T11:26:13Z\nexpires: none\nurl: HTTP://127.0.0.1:8080\nsignature: 68QT3Wv6U58WPXyCskSiIcZdY7KsanthTz870TakARD6xvbpxDStaJDnqjZ97HNoEXD4aG1b46WG6h4aR43pCA==\n\n','\n',char(10)),1795605974000);
CREATE TABLE scans(
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  at INTEGER NOT NULL,           -- Unix ms
  client BLOB NOT NULL,          -- salted hash, never an address
  verdict TEXT NOT NULL
);
INSERT INTO scans VALUES(1,'2A2F99D185276131',1,1795605975014,X'e9b38a25c49d60651db549231e4b89bb','genuine');
INSERT INTO scans VALUES(2,'2A2F99D185276131',1,1795605975062,X'69e1b145bcff7b90e21f13a7a51c2e26','seen');
INSERT INTO scans VALUES(3,'2A2F99D185276131',1,1795605975108,X'40e7f7be233d62465b7348104b5ae504','duplicate');
INSERT INTO scans VALUES(4,'2A2F99D185276131',1,1795605975151,X'e9b38a25c49d60651db549231e4b89bb','duplicate');
INSERT INTO scans VALUES(5,'2A2F99D185276131',1,1795605975196,X'0c4df8ae97c74780a96a2cee2f6a1a31','duplicate');
INSERT INTO scans VALUES(6,'2A2F99D185276131',2,1795605975238,X'e9b38a25c49d60651db549231e4b89bb','genuine');
CREATE TABLE codes(
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  scans INTEGER NOT NULL,
  clients INTEGER NOT NULL,
  first_scan INTEGER NOT NULL,   -- Unix ms
  last_scan INTEGER NOT NULL,
  PRIMARY KEY(key_id, serial)
) WITHOUT ROWID;
INSERT INTO codes VALUES('2A2F99D185276131',1,5,4,1795605975014,1795605975196);
INSERT INTO codes VALUES('2A2F99D185276131',2,1,1,1795605975238,1795605975238);
CREATE TABLE code_clients(
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  client BLOB NOT NULL,
  PRIMARY KEY(key_id, serial, client)
) WITHOUT ROWID;
INSERT INTO code_clients VALUES('2A2F99D185276131',1,X'0c4df8ae97c74780a96a2cee2f6a1a31');
INSERT INTO code_clients VALUES('2A2F99D185276131',1,X'40e7f7be233d62465b7348104b5ae504');
INSERT INTO code_clients VALUES('2A2F99D185276131',1,X'69e1b145bcff7b90e21f13a7a51c2e26');
INSERT INTO code_clients VALUES('2A2F99D185276131',1,X'e9b38a25c49d60651db549231e4b89bb');
INSERT INTO code_clients VALUES('2A2F99D185276131',2,X'e9b38a25c49d60651db549231e4b89bb');
CREATE TABLE alerts(
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  scans INTEGER NOT NULL,
  clients INTEGER NOT NULL,
  first_scan INTEGER NOT NULL,
  last_scan INTEGER NOT NULL,
  raised INTEGER NOT NULL,       -- Unix ms of the first duplicate
  PRIMARY KEY(key_id, serial)
) WITHOUT ROWID;
INSERT INTO alerts VALUES('2A2F99D185276131',1,4,4,1795605975014,1795605975151,1795605975108);
CREATE TABLE tokens(
  hash BLOB PRIMARY KEY,
  name TEXT NOT NULL,
  created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX batches_by_key ON batches(key_id, first_serial);
COMMIT;
PRAGMA user_version = 1;
