#!/usr/bin/env python3
"""Generate a valid privctl ledger of N entries, to benchmark verifying it.

    bench/ledger_gen.py 1000000 --key-env PRIVCTL_LEDGER_KEY --format csv --out ledger.csv
    psql "$DATABASE_URL" -c "\\copy privctl_ledger FROM 'ledger.csv' WITH (FORMAT csv, HEADER true)"

    bench/ledger_gen.py 1000000 --key-env PRIVCTL_LEDGER_KEY --format sqlite --out privctl.db

Entries look like privctl's own (DSAR previews and deletions, tenant exports, retention purges;
details of 150-250 bytes) and are the same for the same N and --seed. They are chained and hashed
with the canonical encoding of tests/verifier/privctl_ledger_verify.py (imported, so there is one
Python implementation of it): HMAC-SHA-256 under the key in --key-env, plain SHA-256 without it.

--format csv writes a header and the columns in table order; NULL is an unquoted empty field and
every string is quoted, which is what PostgreSQL's CSV format reads as NULL and as text.
--format sqlite inserts into the privctl_ledger table of an existing file (after `privctl init`),
which must be empty, in one transaction.
"""
import argparse
import datetime
import json
import os
import random
import sqlite3
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ left in tests/verifier
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "verifier"))
from privctl_ledger_verify import COLUMNS, GENESIS, Digest, canonical  # noqa: E402

ACTIONS = ("dsar-preview", "dsar-delete", "export-tenant", "purge-retention")
ACTORS = ("ops@example.com", "ops@example.com (ticket DSR-1234)", "cron@bench-host",
          "renée.dpo@example.com")
TABLES = ("contacts", "contact_addresses", "conversations", "messages", "attachments",
          "invoices", "events", "consent_records")
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def entries(n, digest, seed, version=2):
    """Rows in COLUMNS order (hash last), seq 1..n, chained from genesis."""
    rng = random.Random(seed)
    hex64 = lambda: f"{rng.getrandbits(256):064x}"  # noqa: E731
    at = datetime.datetime(2026, 1, 1)
    prev_hash = GENESIS
    for seq in range(1, n + 1):
        action = ACTIONS[(seq - 1) % len(ACTIONS)]
        tenant = None if rng.random() < 0.1 else f"tenant-{rng.randrange(10000):04d}"
        tables = {t: rng.randrange(1, 2000) for t in rng.sample(TABLES, rng.randint(3, 5))}
        details = {"tables": tables, "total_rows": sum(tables.values())}
        subject_ref = resource = None
        outcome = "done"
        if action.startswith("dsar-"):
            subject_ref = hex64()
            details["plan_digest"] = hex64()
            outcome = "planned" if action == "dsar-preview" else "done"
        elif action == "export-tenant":
            resource = f"exports/{tenant or 'all-tenants'}/{at:%Y%m%dT%H%M%S}.pctx"
            details["file_digest"] = hex64()
            details["bytes"] = rng.randrange(10_000, 50_000_000)
        else:
            details["cutoff"] = f"{at - datetime.timedelta(days=30):%Y-%m-%dT%H:%M:%S}Z"
            details["plan_digest"] = hex64()
        row = (seq, at.isoformat(timespec="microseconds") + "Z", rng.choice(ACTORS),
               "bench-host", action, tenant, subject_ref, resource, outcome,
               _JSON.encode(details), digest.alg, prev_hash)
        if version == 1:
            prev_hash = digest(canonical(row + (None, None, None)))
            yield row + (prev_hash,)
        else:
            tail = (ORIGIN, "%032x" % rng.getrandbits(128))
            prev_hash = digest(canonical(row + (None,) + tail))
            yield row + (prev_hash,) + tail
        at += datetime.timedelta(microseconds=rng.randrange(1, 5_000_000))


ORIGIN = "bench.example/ledger"


def csv_field(value):
    """PostgreSQL CSV: NULL is an unquoted empty field; strings are always quoted."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace('"', '""') + '"'


def write_csv(rows, path):
    with open(path, "w", encoding="utf-8", newline="") as out:
        first = next(rows, None)
        if first is None:
            return
        out.write(",".join(COLUMNS[:len(first)]) + "\n")
        out.write(",".join(map(csv_field, first)) + "\n")
        for row in rows:
            out.write(",".join(map(csv_field, row)) + "\n")


def _chain(first, rest):
    yield first
    yield from rest


def insert_sqlite(rows, path):
    db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)  # the file must exist
    if db.execute("SELECT count(*) FROM privctl_ledger").fetchone()[0]:
        raise SystemExit(f"ledger_gen.py: {path}: privctl_ledger is not empty")
    db.execute("PRAGMA synchronous = OFF")
    first = next(rows, None)
    if first is None:
        return
    columns = COLUMNS[:len(first)]
    with db:
        db.executemany(f"INSERT INTO privctl_ledger ({', '.join(columns)}) "
                       f"VALUES ({', '.join('?' * len(columns))})", _chain(first, rows))
    db.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of entries")
    parser.add_argument("--key-env", metavar="VAR", help="environment variable holding the key")
    parser.add_argument("--format", choices=("csv", "sqlite"), required=True)
    parser.add_argument("--out", metavar="PATH", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--entry-version", type=int, choices=(1, 2), default=2,
                        help="privctl-ledger/2 (origin and nonce, the default) or /1 (a ledger "
                             "written before the Merkle tree, for an earlier privctl's tables)")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("N must be at least 1")
    key = None
    if args.key_env:
        key = os.environb.get(args.key_env.encode())
        if not key:
            parser.error(f"environment variable {args.key_env} is not set or empty")

    rows = entries(args.n, Digest(key), args.seed, args.entry_version)
    try:
        if args.format == "csv":
            write_csv(rows, args.out)
        else:
            insert_sqlite(rows, args.out)
    except (OSError, sqlite3.Error) as error:
        raise SystemExit(f"ledger_gen.py: {args.out}: {error}")


if __name__ == "__main__":
    main()
