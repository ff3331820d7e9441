-- A ledger at schema version 2, as temd wrote it at commit 8ec77e0 (made by that commit's tem and
-- temd: one batch of five codes registered, serial 1 scanned from three networks with
-- --duplicate-threshold 1 (an alert), serial 2 once). tests/e2e/test_upgrade.sh migrates it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta(
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO meta VALUES('client-salt',X'5c6e0689b696cfd9f729730721d336854770e52bd7a11e070d2773e091b8131e');
CREATE TABLE producers(
  key_id TEXT PRIMARY KEY,       -- 16 hex digits
  public_key TEXT NOT NULL,      -- minisign base64 line
  name TEXT NOT NULL,
  valid_from INTEGER NOT NULL,   -- day since 1970-01-01
  revoked INTEGER,               -- day, NULL when active
  updated INTEGER NOT NULL       -- Unix ms
) WITHOUT ROWID;
INSERT INTO producers VALUES('D73A1A35387CB001','RWQBsHw4NRo614gy7TG5iFaZJJUTRc+3BFoCE709Jhjc/y2wcZ2CMtaz','HTX Năm Căn',20784,NULL,1795759002000);
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
INSERT INTO batches VALUES(1,'D73A1A35387CB001',1,5,'20261127-1','Cua Cà Mau','','HTTP://127.0.0.1:1',1795759002,0,replace('tem-batch v1\nkey-id: D73A1A35387CB001\nproducer: \nproduct: Cua Cà Mau\nbatch: 20261127-1\nfirst-serial: 1\ncount: 5\nissued: 2026-11-27T05:56:42Z\nexpires: none\nurl: HTTP://127.0.0.1:1\nsignature: IPUNgZ5UXcMExXktnd6Y7VHB8bXrUUQ+jKUwNj1tURasSxy9CK9acIzh7M8i0ec8EUieQkjn13hgoxU1NzqfBQ==\n\n','\n',char(10)),1795759002000);
CREATE TABLE scans(
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  at INTEGER NOT NULL,           -- Unix ms
  client BLOB NOT NULL,          -- salted hash, never an address
  verdict TEXT NOT NULL
);
INSERT INTO scans VALUES(1,'D73A1A35387CB001',1,1795759002884,X'b6cd890535d023039661aaf8a481ed27','genuine');
INSERT INTO scans VALUES(2,'D73A1A35387CB001',1,1795759002892,X'a53df49ce274129f98354a06e663e0f8','seen');
INSERT INTO scans VALUES(3,'D73A1A35387CB001',1,1795759002899,X'061fb60a6edcff1cfa0b8bb682239fdd','duplicate');
INSERT INTO scans VALUES(4,'D73A1A35387CB001',2,1795759002907,X'32c06491565e852018809393d6c9ef03','genuine');
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
INSERT INTO alerts VALUES('D73A1A35387CB001',1,3,3,1795759002884,1795759002899,1795759002899);
CREATE TABLE tokens(
  hash BLOB PRIMARY KEY,
  name TEXT NOT NULL,
  created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE code_scans(
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  client BLOB NOT NULL,          -- salted hash, never an address
  scans INTEGER NOT NULL,        -- this client's scans of the code
  first_scan INTEGER NOT NULL,   -- Unix ms
  last_scan INTEGER NOT NULL,
  PRIMARY KEY(key_id, serial, client)
) WITHOUT ROWID;
INSERT INTO code_scans VALUES('D73A1A35387CB001',1,X'061fb60a6edcff1cfa0b8bb682239fdd',1,1795759002899,1795759002899);
INSERT INTO code_scans VALUES('D73A1A35387CB001',1,X'a53df49ce274129f98354a06e663e0f8',1,1795759002892,1795759002892);
INSERT INTO code_scans VALUES('D73A1A35387CB001',1,X'b6cd890535d023039661aaf8a481ed27',1,1795759002884,1795759002884);
INSERT INTO code_scans VALUES('D73A1A35387CB001',2,X'32c06491565e852018809393d6c9ef03',1,1795759002907,1795759002907);
CREATE INDEX batches_by_key ON batches(key_id, first_serial);
CREATE VIEW codes(key_id, serial, scans, clients, first_scan, last_scan) AS
  SELECT key_id, serial, sum(scans), count(*), min(first_scan), max(last_scan)
  FROM code_scans GROUP BY key_id, serial;
COMMIT;
PRAGMA user_version=2;
