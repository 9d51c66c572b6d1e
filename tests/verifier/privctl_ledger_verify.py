#!/usr/bin/env python3
"""Verify a privctl ledger without privctl: an auditor's independent implementation of the
README section "The ledger", in Python 3 with the standard library only.

    privctl_ledger_verify.py --sqlite privctl.db --key-env PRIVCTL_LEDGER_KEY
    psql -At -c "SELECT row_to_json(l) FROM privctl_ledger l ORDER BY l.seq" \\
        | privctl_ledger_verify.py --ndjson --key-env PRIVCTL_LEDGER_KEY [--checkpoints FILE]

Each entry's hash is recomputed over its canonical bytes, the compact JSON array
    ["privctl-ledger/2", seq, at, actor, host, action, tenant, subject_ref, resource, outcome,
     details, alg, prev_hash, origin, nonce]
or, for an entry without a nonce (written before the ledger had its Merkle tree),
    ["privctl-ledger/1", seq, at, actor, host, action, tenant, subject_ref, resource, outcome,
     details, alg, prev_hash]
as HMAC-SHA-256 under the key (alg "hmac-sha256") or as plain SHA-256 (alg "sha256"). seq runs
without gaps and each prev_hash is the previous entry's hash: 64 zeros for seq 1, or, once
retention purged the oldest entries, the hash in the newest signed checkpoint below the oldest entry
left (privctl_ledger_checkpoints); entries missing after it are a removal.
Every entry must use the alg the key implies: with --key-env a "sha256" entry is a problem (anyone
could have written it), without it an "hmac-sha256" one is. --anchor SEQ:HASH pins an entry to a
hash kept elsewhere (a ticket, a previous run); it also catches a truncated tail.

Prints one JSON line {"ok", "entries", "head", "start", "first_problem"}. Exits 0 when the ledger
verifies; 4 at the first problem, where it stops ("entries" and "head" then cover the entries that
verified before it); 2 when it cannot run. --dump-canonical FILE writes the canonical bytes of each
entry, one per line.
"""
import argparse
import hashlib
import hmac
import json
import os
import sqlite3
import string
import sys

COLUMNS = ("seq", "at", "actor", "host", "action", "tenant", "subject_ref", "resource",
           "outcome", "details", "alg", "prev_hash", "hash", "origin", "nonce")
OPTIONAL = ("origin", "nonce")  # absent from ledgers written before privctl-ledger/2
CHECKPOINT_COLUMNS = ("seq", "hash", "at", "created_at", "purged", "alg", "signature")
GENESIS = "0" * 64
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # compact, UTF-8


def canonical(row):
    """Canonical bytes of an entry: a sequence in COLUMNS order (its hash, last, is left out)."""
    if row[14] is None:
        return _JSON.encode(["privctl-ledger/1", *row[:12]]).encode("utf-8")
    return _JSON.encode(["privctl-ledger/2", *row[:12], row[13], row[14]]).encode("utf-8")


def checkpoint_canonical(cp):
    """Canonical bytes of a checkpoint: a dict with the CHECKPOINT_COLUMNS."""
    fields = [cp[c] for c in CHECKPOINT_COLUMNS[:-1]]
    return _JSON.encode(["privctl-ledger-checkpoint/1", *fields]).encode("utf-8")


class Digest:
    """Hex digest of canonical bytes. The keyed HMAC state is computed once and copied."""

    def __init__(self, key):
        self.alg = "hmac-sha256" if key else "sha256"
        self._mac = hmac.new(key, digestmod=hashlib.sha256) if key else None

    def __call__(self, data):
        if self._mac is None:
            return hashlib.sha256(data).hexdigest()
        mac = self._mac.copy()
        mac.update(data)
        return mac.hexdigest()


class Problem(Exception):
    def __init__(self, seq, reason):
        super().__init__(reason)
        self.seq, self.reason = seq, reason


def sqlite_source(path):
    """(entries in seq order, checkpoint lookup) from a SQLite file opened read-only."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    has_checkpoints = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                 "AND name = 'privctl_ledger_checkpoints'").fetchone()

    def checkpoint(below):
        if not has_checkpoints:
            return None
        row = db.execute(f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM privctl_ledger_checkpoints "
                         "WHERE seq < ? ORDER BY seq DESC LIMIT 1", (below,)).fetchone()
        return dict(zip(CHECKPOINT_COLUMNS, row)) if row else None

    return db.execute(f"SELECT {', '.join(COLUMNS)} FROM privctl_ledger ORDER BY seq"), checkpoint


def ndjson_source(lines, checkpoints_path):
    """(entries, checkpoint lookup) from row_to_json lines, checkpoints from an optional file."""
    def checkpoint(below):
        newest = None
        if checkpoints_path:
            with open(checkpoints_path, "rb") as f:
                for cp in read_ndjson(f, CHECKPOINT_COLUMNS, checkpoints_path, problem_seq=1):
                    if cp[0] < below and (newest is None or cp[0] > newest[0]):
                        newest = cp
        return dict(zip(CHECKPOINT_COLUMNS, newest)) if newest else None

    return read_ndjson(lines, COLUMNS, "stdin"), checkpoint


def read_ndjson(lines, columns, name, problem_seq=None):
    """Tuples in `columns` order. A line that is not such an object is a problem at problem_seq
    (None: the seq expected next)."""
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                obj = json.loads(line)
                yield tuple(obj.get(c) if c in OPTIONAL else obj[c] for c in columns)
            except (ValueError, KeyError, TypeError):
                raise Problem(problem_seq, f"{name} line {number} is not a JSON object with "
                                           f"the columns {', '.join(columns)}") from None


def verify(entries, checkpoint, digest, anchor=None, dump=None):
    """Checks the chain up to its first problem; returns the report."""
    report = {"ok": True, "entries": 0, "head": None, "start": None, "first_problem": None}
    expected = prev_hash = None
    try:
        for row in entries:
            if expected is None:  # the oldest entry left: seq 1, or one after a checkpoint
                first = row[0] if isinstance(row[0], int) else 1
                cp = checkpoint(first)
                expected, prev_hash = start_from(cp, digest)
                report["start"] = expected
                if anchor and anchor[0] < expected and cp and anchor[0] == cp["seq"] \
                        and anchor[1] != cp["hash"]:
                    raise Problem(anchor[0], "hash differs from the anchor (at the checkpoint)")
            seq, alg, stored_prev, stored_hash = row[0], row[10], row[11], row[12]
            if seq != expected:
                raise Problem(expected, f"expected seq {expected}, found {seq}: "
                                        "entries missing or reordered")
            data = canonical(row)
            if dump:
                dump.write(data + b"\n")
            if alg != digest.alg:
                raise Problem(seq, wrong_alg(alg, digest.alg))
            if digest(data) != stored_hash:
                raise Problem(seq, "hash does not match the entry's fields: altered")
            if stored_prev != prev_hash:
                raise Problem(seq, "prev_hash is not the previous hash: chain broken")
            if anchor and anchor[0] == seq and anchor[1] != stored_hash:
                raise Problem(seq, "hash differs from the anchor")
            report["entries"] += 1
            report["head"] = {"seq": seq, "hash": stored_hash}
            expected, prev_hash = seq + 1, stored_hash
        if expected is None:  # empty: fine, unless a checkpoint says entries followed it
            cp = checkpoint(2**63 - 1)
            if cp:
                raise Problem(cp["seq"] + 1, f"no entries after checkpoint {cp['seq']}: removed")
        if anchor and anchor[0] >= (expected or 1):
            raise Problem(expected or 1, f"the anchored entry {anchor[0]} is beyond the head")
    except Problem as problem:
        seq = (expected or 1) if problem.seq is None else problem.seq
        report.update(ok=False, first_problem={"seq": seq, "reason": problem.reason})
    return report


def start_from(cp, digest):
    """(seq, prev_hash) of the chain's first entry: 1 and 64 zeros, or the one after the newest
    checkpoint below the oldest entry left (a gap after it is a removal)."""
    if cp is None:
        return 1, GENESIS
    if cp["alg"] != digest.alg:
        raise Problem(cp["seq"], "checkpoint " + wrong_alg(cp["alg"], digest.alg))
    if digest(checkpoint_canonical(cp)) != cp["signature"]:
        raise Problem(cp["seq"], "the checkpoint's signature does not match its fields: altered")
    return cp["seq"] + 1, cp["hash"]


def wrong_alg(alg, expected):
    if alg == "hmac-sha256":
        return "hashed with hmac-sha256: verifying it needs the ledger key (--key-env)"
    if alg == "sha256":
        return "hashed with plain sha256 in a keyed ledger: anyone could have written it"
    return f"unknown alg {alg!r} (expected {expected})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sqlite", metavar="PATH", help="read the ledger from a SQLite file")
    source.add_argument("--ndjson", action="store_true", help="read row_to_json lines from stdin")
    parser.add_argument("--checkpoints", metavar="FILE", help="with --ndjson: checkpoint rows")
    parser.add_argument("--key-env", metavar="VAR", help="environment variable holding the key")
    parser.add_argument("--anchor", metavar="SEQ:HASH", help="an entry's hash kept elsewhere")
    parser.add_argument("--dump-canonical", metavar="FILE", help="write canonical bytes here")
    args = parser.parse_args()
    if args.checkpoints and not args.ndjson:
        parser.error("--checkpoints goes with --ndjson (--sqlite reads the checkpoint table)")
    key = os.environb.get(args.key_env.encode()) if args.key_env else None
    if args.key_env and not key:
        parser.error(f"environment variable {args.key_env} is not set or empty")
    anchor = None
    if args.anchor:
        seq, _, hash_ = args.anchor.partition(":")
        if not (seq.isdigit() and int(seq) > 0 and len(hash_) == 64
                and all(c in string.hexdigits for c in hash_)):
            parser.error("--anchor takes SEQ:HASH, a positive integer and 64 hex digits")
        anchor = (int(seq), hash_.lower())

    if args.sqlite:
        entries, checkpoint = sqlite_source(args.sqlite)
    else:
        entries, checkpoint = ndjson_source(sys.stdin.buffer, args.checkpoints)
    dump = open(args.dump_canonical, "wb") if args.dump_canonical else None
    report = verify(entries, checkpoint, Digest(key), anchor, dump)
    if dump:
        dump.close()
    print(json.dumps(report))
    return 0 if report["ok"] else 4


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, sqlite3.Error) as error:  # cannot read the ledger at all
        print(f"privctl_ledger_verify.py: {error}", file=sys.stderr)
        sys.exit(2)
