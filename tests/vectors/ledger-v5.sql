-- A ledger at schema version 5, as temd wrote it at commit 4f2bcd2 (made by that commit's tem and
-- temd: one batch of five codes issued with claim PINs and registered; with
-- --duplicate-threshold 1, serial 1 scanned from three networks (a duplicate alert), serial 2
-- once, serial 3 claimed with its PIN and then scanned from another network (sold)).
-- tests/e2e/test_upgrade.sh migrates it. The batch's claim key is sealed under a secret file
-- that is not kept: claims of this batch cannot be checked, its scans and claims are counted.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta(
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO meta VALUES('trust-sequence',3);
CREATE TABLE producers(
  key_id TEXT PRIMARY KEY,       -- 16 hex digits
  public_key TEXT NOT NULL,      -- minisign base64 line
  name TEXT NOT NULL,
  valid_from INTEGER NOT NULL,   -- day since 1970-01-01
  revoked INTEGER,               -- day, NULL when active
  updated INTEGER NOT NULL       -- Unix ms
) WITHOUT ROWID;
INSERT INTO producers VALUES('74C0FC71F14BE8C3','RWTD6EvxcfzAdNounH2yLFHvEZEPCO9WFWKsqvlcRnd6/iOeeCkN01xP','HTX Năm Căn',20784,NULL,1795763509000);
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
INSERT INTO batches VALUES(1,'74C0FC71F14BE8C3',1,5,'20261127-1','Cua gạch','','',1795763509,0,replace('tem-batch v1\nkey-id: 74C0FC71F14BE8C3\nproducer: \nproduct: Cua gạch\nbatch: 20261127-1\nfirst-serial: 1\ncount: 5\nissued: 2026-11-27T07:11:49Z\nexpires: none\nurl: none\nclaim: Sx0qS3FCIUn24Yu1Mk2B39QyCdN2QktxwZgGlQvhO6Y=\nsignature: aHEFR6NjXj5xcYuo/2cyL2mdDWairefaD4Ax13aRS0J+koqKpMnZb+F9rMkwcCfCFDWwH1yAOYtVjJ6f98DoBg==\n\n','\n',char(10)),1795763509000,X'9ca6428c99b04e54ea8a58cf88fd49573e0e852f83f34f9cdbad21a0f3503a63558bbfee9e07fdbcbf91d10b235f74da592f2a0c79d59be0bbf30db0c668fe153d67bdcd03ba601c');
CREATE TABLE scans(
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  at INTEGER NOT NULL,           -- Unix ms
  client BLOB NOT NULL,          -- salted hash, never an address
  verdict TEXT NOT NULL
);
INSERT INTO scans VALUES(1,'74C0FC71F14BE8C3',1,1795763509416,X'a146adcc179ca0eef7900b9ac98f1d91','genuine');
INSERT INTO scans VALUES(2,'74C0FC71F14BE8C3',1,1795763509440,X'efd51277252af7504963c7bac9c37a76','seen');
INSERT INTO scans VALUES(3,'74C0FC71F14BE8C3',1,1795763509462,X'f276bd46ae8158684c10bbff1ed700cb','duplicate');
INSERT INTO scans VALUES(4,'74C0FC71F14BE8C3',2,1795763509485,X'a146adcc179ca0eef7900b9ac98f1d91','genuine');
INSERT INTO scans VALUES(5,'74C0FC71F14BE8C3',3,1795763509610,X'8c60eee118bd986a68bf4009ff9c114a','sold');
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
INSERT INTO alerts VALUES('74C0FC71F14BE8C3',1,3,3,1795763509416,1795763509462,1795763509462);
CREATE TABLE tokens(
  hash BLOB PRIMARY KEY,
  name TEXT NOT NULL,
  created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE claims(
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  at INTEGER NOT NULL,           -- Unix ms
  client BLOB NOT NULL, cookie BLOB,          -- salted client hash of the claimer
  PRIMARY KEY(key_id, serial)
) WITHOUT ROWID;
INSERT INTO claims VALUES('74C0FC71F14BE8C3',3,1795763509603,X'a146adcc179ca0eef7900b9ac98f1d91',X'ccf21d0d8ae63bc48b4e747b8fb92024');
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
CREATE TABLE IF NOT EXISTS "code_scans"(
  key_id TEXT NOT NULL,
  serial INTEGER NOT NULL,
  client BLOB NOT NULL,          -- keyed hash of the network prefix, never an address
  cookie BLOB NOT NULL,          -- tem_client cookie id, x'' when none
  scans INTEGER NOT NULL,        -- scans of the code from this network and cookie
  first_scan INTEGER NOT NULL,   -- Unix ms
  last_scan INTEGER NOT NULL,
  PRIMARY KEY(key_id, serial, client, cookie)
) WITHOUT ROWID;
INSERT INTO code_scans VALUES('74C0FC71F14BE8C3',1,X'a146adcc179ca0eef7900b9ac98f1d91',X'8c7d798c71255f4fb7b8d4cf149a8135',1,1795763509416,1795763509416);
INSERT INTO code_scans VALUES('74C0FC71F14BE8C3',1,X'efd51277252af7504963c7bac9c37a76',X'd7e55632c3afbe08f8d373ba0d435ad6',1,1795763509440,1795763509440);
INSERT INTO code_scans VALUES('74C0FC71F14BE8C3',1,X'f276bd46ae8158684c10bbff1ed700cb',X'e9fd5157b896029c05be94bceaa2ec4b',1,1795763509462,1795763509462);
INSERT INTO code_scans VALUES('74C0FC71F14BE8C3',2,X'a146adcc179ca0eef7900b9ac98f1d91',X'4174756bc2aec7233e85d27b0fb5cb10',1,1795763509485,1795763509485);
INSERT INTO code_scans VALUES('74C0FC71F14BE8C3',3,X'8c60eee118bd986a68bf4009ff9c114a',X'12191351829559027a59410a9cdd65b1',1,1795763509610,1795763509610);
CREATE INDEX batches_by_key ON batches(key_id, first_serial);
CREATE VIEW codes(key_id, serial, scans, clients, first_scan, last_scan) AS
  SELECT key_id, serial, sum(scans), count(DISTINCT client), min(first_scan),
  max(last_scan) FROM code_scans GROUP BY key_id, serial;
COMMIT;
PRAGMA user_version=5;
