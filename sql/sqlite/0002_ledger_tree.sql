-- privctl's own tables (SQLite), migration 2: the ledger's Merkle tree (issue 17).
-- A released migration never changes: change the schema in a new file.

-- Entries gain the log's origin and a random nonce (entry format privctl-ledger/2). Entries
-- written before have neither and keep their format, privctl-ledger/1.
ALTER TABLE privctl_ledger ADD COLUMN origin TEXT;
ALTER TABLE privctl_ledger ADD COLUMN nonce TEXT;

-- The RFC 6962 Merkle tree over the entries, as its complete subtrees: node (level, idx) is the
-- hash of leaves idx * 2^level to (idx + 1) * 2^level - 1, in lower-case hex; leaf i is the entry
-- whose seq is tree_start + i. Written in the transaction of the entry that completes a node,
-- never changed, and kept when ledger retention deletes entries, so every proof stays valid.
CREATE TABLE privctl_ledger_tree (
    level       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- One row: the log's origin (the map's [ledger] origin, fixed by the first entry that names one)
-- and the seq of the tree's first leaf (1, or the first entry left when the tree was built).
CREATE TABLE privctl_ledger_meta (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    origin      TEXT,
    tree_start  INTEGER NOT NULL
);
