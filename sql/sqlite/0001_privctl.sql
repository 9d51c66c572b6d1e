-- privctl's own tables (SQLite), migration 1. `privctl init` applies each migration of
-- sql/sqlite/ that a database lacks, in order, and records it in privctl_migrations. A released
-- migration never changes, not even a comment (init refuses a database whose recorded checksum
-- differs): change the schema in a new file, 0002_<what>.sql.
--
-- Idempotent on purpose (IF NOT EXISTS): before migrations, `privctl init` ran this script, as
-- sql/sqlite/privctl.sql, on every run, so a database initialised then already holds some or all
-- of these tables, with their rows. Applied there, it creates what an older script did not and
-- keeps what exists. Every version of that script only added tables and indexes, never columns,
-- so IF NOT EXISTS brings any of them to version 1.

-- The audit chain: one row per entry, hashes as lower-case hex (see README, "The ledger").
CREATE TABLE IF NOT EXISTS privctl_ledger (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    host        TEXT NOT NULL,
    action      TEXT NOT NULL,
    tenant      TEXT,
    subject_ref TEXT,
    resource    TEXT,
    outcome     TEXT NOT NULL,
    details     TEXT NOT NULL,
    alg         TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS privctl_ledger_tenant ON privctl_ledger (tenant, seq);

-- Retention checkpoints: the seq, hash and time of the last entry a ledger purge removed, signed
-- under keys.ledger, so the remaining entries verify from it (see README, "The ledger").
CREATE TABLE IF NOT EXISTS privctl_ledger_checkpoints (
    seq         INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL,
    at          TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    purged      INTEGER NOT NULL,
    alg         TEXT NOT NULL,
    signature   TEXT NOT NULL
);

-- Two-step tokens, stored only as SHA-256 hashes.
CREATE TABLE IF NOT EXISTS privctl_confirmations (
    token_hash  TEXT PRIMARY KEY,
    action      TEXT NOT NULL,
    tenant      TEXT,
    selector    TEXT NOT NULL,
    plan_digest TEXT NOT NULL,
    plan        TEXT NOT NULL,
    issued_by   TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    consumed_at TEXT,
    consumed_by TEXT
);

-- Progress of long runs, so an interrupted delete or purge resumes where it stopped.
CREATE TABLE IF NOT EXISTS privctl_jobs (
    id          TEXT PRIMARY KEY,
    action      TEXT NOT NULL,
    tenant      TEXT,
    token_hash  TEXT,
    state       TEXT NOT NULL,
    progress    TEXT NOT NULL DEFAULT '{}',
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    finished_at TEXT
);

-- Objects to delete from blob stores, written in the same transaction as the rows that named them.
CREATE TABLE IF NOT EXISTS privctl_blob_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    store        TEXT NOT NULL,
    object_key   TEXT NOT NULL,
    source_table TEXT NOT NULL,
    tenant       TEXT,
    enqueued_at  TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    done_at      TEXT
);
CREATE INDEX IF NOT EXISTS privctl_blob_outbox_pending ON privctl_blob_outbox (id) WHERE done_at IS NULL;

-- One run at a time (purge-retention): the process holding the lock. PostgreSQL uses a session
-- advisory lock instead, which a killed process cannot leave behind.
CREATE TABLE IF NOT EXISTS privctl_locks (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    acquired_at TEXT NOT NULL
);
