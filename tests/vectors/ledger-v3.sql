-- A ledger at schema version 3, as temd wrote it at commit c9f4435 (made by that commit's tem and
-- temd: one batch of five codes registered, serial 1 scanned from three networks with
-- --duplicate-threshold 1 (an alert), serial 2 once). tests/e2e/test_upgrade.sh migrates it.
-- The batch was issued with --no-claim, so the ledger holds no claim key sealed under a
-- secret file the test does not have.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta(
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO meta VALUES('client-salt',X'1d798fe79742f99bb55466b76e0f870e1c021ac80e7201c5faad12944eb03bd0');
CREATE TABLE producers(
  key_id TEXT PRIMARY KEY,       -- 16 hex digits
  public_key TEXT NOT NULL,      -- minisign base64 line
  name TEXT NOT NULL,
  valid_from INTEGER NOT NULL,   -- day since 1970-01-01
  revoked INTEGER,               -- day, NULL when active
  updated INTEGER NOT NULL       -- Unix ms
) WITHOUT ROWID;
INSERT INTO producers VALUES('0DC07777C98A4AD3','RWTTSorJd3fADVc5Je6bTd1S19c6kq9wopet/OC3pJXOU6ODOanMPho1','HTX Năm Căn',20784,NULL,1795759006000);
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
, claim_key BLOB);
INSERT INTO batches VALUES(1,'0DC07777C98A4AD3',1,5,'20261127-1','Cua Cà Mau','','HTTP://127.0.0.1:1',1795759006,0,replace('tem-batch v1\nkey-id: 0DC07777C98A4AD3\nproducer: \nproduct: Cua Cà Mau\nbatch: 20261127-1\nfirst-serial: 1\ncount: 5\nissued: 2026-11-27T05:56:46Z\nexpires: none\nurl: HTTP://127.0.0.1:1\nsignature: Zuyr50KUOlnaudr5ZUryoSiPI+Y9+h8rRFF6gWKeFufWuGpMM32hpjdwzKqMFvEMx/wnT7aov0AnhRxz/KsuCQ==\n\n','\n',char(10)),1795759007000,NULL);
CREATE TABLE scans(
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  at INTEGER NOT NULL,           -- Unix ms
  client BLOB NOT NULL,          -- salted hash, never an address
  verdict TEXT NOT NULL
);
INSERT INTO scans VALUES(1,'0DC07777C98A4AD3',1,1795759007054,X'96c8e686a0f174b75aebc7a634fb5d2c','genuine');
INSERT INTO scans VALUES(2,'0DC07777C98A4AD3',1,1795759007074,X'31428a05ad0c9cd643692f36401ced5a','seen');
INSERT INTO scans VALUES(3,'0DC07777C98A4AD3',1,1795759007094,X'281b819b36adc435b264a1bfe05eef42','duplicate');
INSERT INTO scans VALUES(4,'0DC07777C98A4AD3',2,1795759007110,X'963dc96c64da760a5e75aac6186429ad','genuine');
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
INSERT INTO alerts VALUES('0DC07777C98A4AD3',1,3,3,1795759007054,1795759007094,1795759007094);
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
INSERT INTO code_scans VALUES('0DC07777C98A4AD3',1,X'281b819b36adc435b264a1bfe05eef42',1,1795759007094,1795759007094);
INSERT INTO code_scans VALUES('0DC07777C98A4AD3',1,X'31428a05ad0c9cd643692f36401ced5a',1,1795759007074,1795759007074);
INSERT INTO code_scans VALUES('0DC07777C98A4AD3',1,X'96c8e686a0f174b75aebc7a634fb5d2c',1,1795759007054,1795759007054);
INSERT INTO code_scans VALUES('0DC07777C98A4AD3',2,X'963dc96c64da760a5e75aac6186429ad',1,1795759007110,1795759007110);
CREATE TABLE claims(
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  at INTEGER NOT NULL,           -- Unix ms
  client BLOB NOT NULL,          -- salted client hash of the claimer
  PRIMARY KEY(key_id, serial)
) WITHOUT ROWID;
CREATE TABLE claim_fails_code(
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  day INTEGER NOT NULL,          -- Unix day (UTC) of the wrong PINs
  fails INTEGER NOT NULL,
  PRIMARY KEY(key_id, serial, day)
) WITHOUT ROWID;
CREATE TABLE claim_fails_net(
  net BLOB NOT NULL,             -- salted hash of the client network, never an address
  hour INTEGER NOT NULL,         -- Unix hour of the wrong PINs
  fails INTEGER NOT NULL,
  PRIMARY KEY(net, hour)
) WITHOUT ROWID;
CREATE INDEX batches_by_key ON batches(key_id, first_serial);
CREATE VIEW codes(key_id, serial, scans, clients, first_scan, last_scan) AS
  SELECT key_id, serial, sum(scans), count(*), min(first_scan), max(last_scan)
  FROM code_scans GROUP BY key_id, serial;
COMMIT;
PRAGMA user_version=3;
