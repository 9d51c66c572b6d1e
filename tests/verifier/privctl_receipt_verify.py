#!/usr/bin/env python3
"""An independent verifier of privctl erasure receipts, written from the README ("Erasure
receipts"): Python's standard library, plus `cryptography` for Ed25519, or `openssl pkeyutl`
with --openssl.

    privctl_receipt_verify.py --vkey KEY [--email EMAIL] [--openssl] RECEIPT

KEY is the log's verifier key (`<name>+<8 hex id>+<base64(0x01 || public key)>`) or a file
holding it. Prints one JSON line and exits 0 when the receipt proves its entry is in the log
(and, with --email, that the erasure was of that subject, and, when the erasure queued objects,
that blob-delete entries of the log deleted every one of them); 1 when it proves the entry but
not every object deleted; 4 when it does not verify; 2 on bad usage.
"""
import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile


class Refused(Exception):
    pass


def b64(text):
    raw = base64.b64decode(text, validate=True)
    if base64.b64encode(raw).decode() != text:
        raise Refused("non-canonical base64")
    return raw


def parse_vkey(text):
    name, key_id, key = text.strip().split("+", 2)
    raw = b64(key)
    if len(raw) != 33 or raw[0] != 0x01:
        raise Refused("not an Ed25519 verifier key")
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if expected.hex() != key_id:
        raise Refused("the key id does not match the key")
    return name, expected, raw[1:]


def ed25519_ok(public, message, signature, use_openssl):
    if not use_openssl:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
            return True
        except InvalidSignature:
            return False
    # SubjectPublicKeyInfo of an Ed25519 key: a fixed 12-byte prefix, then the key (RFC 8410).
    der = bytes.fromhex("302a300506032b6570032100") + public
    with tempfile.TemporaryDirectory() as tmp:
        paths = {n: os.path.join(tmp, n) for n in ("key.der", "msg", "sig")}
        for name, data in (("key.der", der), ("msg", message), ("sig", signature)):
            with open(paths[name], "wb") as f:
                f.write(data)
        run = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER",
                              "-inkey", paths["key.der"], "-rawin", "-in", paths["msg"],
                              "-sigfile", paths["sig"]], capture_output=True)
        return run.returncode == 0


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise Refused("the index is not in the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Refused("the path is too long")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Refused("the path is too short")
    return r


def parse_entry(text):
    entry = json.loads(text)
    if not isinstance(entry, list) or len(entry) != 15 or entry[0] != "privctl-ledger/2":
        raise Refused("not a privctl-ledger/2 entry")
    return entry


def parse_proof(text):
    """The tlog proof: header, optional extra, index, path lines, blank line, checkpoint note."""
    head, note = text.split("\n\n", 1)
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise Refused("not a tlog proof")
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise Refused("no index line")
    index = int(rest[0][6:])
    path = [b64(line) for line in rest[1:]]
    if any(len(p) != 32 for p in path):
        raise Refused("a path hash is not 32 bytes")
    return index, path, note


def parse_ids(text):
    """Outbox ids written as ascending ranges, "3-5,9"; only as privctl writes them."""
    ids = set()
    if text:
        for part in text.split(","):
            start, _, end = part.partition("-")
            ids.update(range(int(start), int(end or start) + 1))
    if render_ids(ids) != text:
        raise Refused("outbox ids not written as privctl writes them")
    return ids


def render_ids(ids):
    parts, ordered = [], sorted(ids)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else "%d-%d" % (ordered[i], ordered[j]))
        i = j + 1
    return ",".join(parts)


def verify(receipt_text, vkey, email, use_openssl):
    receipt = json.loads(receipt_text)
    if receipt.get("format") != "privctl-receipt/1":
        raise Refused("not a privctl-receipt/1")
    entry_text = receipt["entry"]
    entry = parse_entry(entry_text)
    origin = entry[13]
    index, path, note = parse_proof(receipt["proof"])
    # The note: text, a blank line, signature lines "— name base64(id || signature)".
    text, sigs = note.split("\n\n", 1)
    text += "\n"
    body = text.split("\n")[:-1]
    if len(body) < 3 or body[0] != origin:
        raise Refused("the checkpoint is not of the entry's log")
    if not body[1].isdigit() or (body[1] != "0" and body[1].startswith("0")):
        raise Refused("the checkpoint's size is not a number")
    size, root = int(body[1]), b64(body[2])
    name, key_id, public = vkey
    signed = False
    for line in sigs.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise Refused("a malformed signature line")
        sig_name, sig = line[2:].split(" ", 1)
        raw = b64(sig)
        if sig_name == name and raw[:4] == key_id:
            if len(raw) != 68 or not ed25519_ok(public, text.encode(), raw[4:], use_openssl):
                raise Refused("the log's signature does not verify")
            signed = True
    if not signed:
        raise Refused("the log's key did not sign the checkpoint")
    if root_from_inclusion(index, size, leaf_hash(entry_text.encode()), path) != root:
        raise Refused("the entry is not in the signed tree")
    # The signed retention line, if any: "privctl-retention FLOOR WINDOW CUTOFF". An entry below
    # the floor (its body purged) must have been written at or before the cutoff.
    retention = [l for l in body[3:] if l.startswith("privctl-retention ")]
    if len(retention) > 1:
        raise Refused("more than one retention line")
    if retention:
        fields = retention[0].split(" ")
        if len(fields) != 4 or not fields[1].isdigit():
            raise Refused("a malformed retention line")
        floor, cutoff = int(fields[1]), fields[3]
        if floor > size:
            raise Refused("the retention floor is beyond the tree")
        if index < floor and (cutoff == "-" or entry[2] > cutoff):
            raise Refused("the checkpoint says the entry was purged before its cutoff")
    # The blob-delete entries: each proved in the same checkpoint, of the same log, after the
    # erasure, deleting some of the outbox ids the erasure queued (details.objects.outbox).
    main_details = json.loads(entry[10])
    queued = None
    if isinstance(main_details, dict) and isinstance(main_details.get("objects"), dict):
        queued = parse_ids(main_details["objects"]["outbox"])
    objects = receipt.get("objects", [])
    if queued is None and objects:
        raise Refused("object entries for an entry that queued no objects")
    covered, seqs = set(), []
    for item in objects:
        obj = parse_entry(item["entry"])
        if obj[5] != "blob-delete" or obj[13] != origin or obj[1] <= entry[1]:
            raise Refused("an object entry is not a later blob-delete entry of the log")
        obj_index, obj_path, obj_note = parse_proof(item["proof"])
        if obj_note != note:
            raise Refused("an object entry is proved in another checkpoint")
        if root_from_inclusion(obj_index, size, leaf_hash(item["entry"].encode()), obj_path) != root:
            raise Refused("an object entry is not in the signed tree")
        ids = parse_ids(json.loads(obj[10])["outbox_deleted"])
        if not ids & queued:
            raise Refused("an object entry deletes none of the erasure's objects")
        covered |= ids
        seqs.append(obj[1])
    matches = None
    if email is not None:
        details = json.loads(entry[10])
        opening = bytes.fromhex(receipt["subject"]["opening"])
        names, kinds = receipt["subject"]["identifiers"], receipt["subject"]["kinds"]
        if kinds != ["email"]:
            raise Refused("the subject was not named by one email alone")
        tenant = entry[6] or ""
        data = (b"privctl-subject-commit/1\x00" + opening + b"\x00" + tenant.encode()
                + b"\x00" + names[0].encode() + b"=" + email.strip().lower().encode())
        matches = hashlib.sha256(data).hexdigest() == details.get("subject_commitment")
        if not matches:
            raise Refused("the erasure was not of this subject")
    report = {"ok": True, "seq": entry[1], "action": entry[5], "tenant": entry[6], "at": entry[2],
              "tree_size": size, "subject_matches": matches}
    if queued is not None:
        report["objects"] = {"queued": len(queued), "deleted": len(queued & covered),
                             "entries": seqs}
        report["ok"] = queued <= covered
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vkey", required=True)
    parser.add_argument("--email")
    parser.add_argument("--openssl", action="store_true")
    parser.add_argument("receipt")
    args = parser.parse_args()
    vkey_text = args.vkey
    if os.path.exists(vkey_text):
        with open(vkey_text, encoding="utf-8") as f:
            vkey_text = f.read().strip()
    try:
        vkey = parse_vkey(vkey_text)
        with open(args.receipt, encoding="utf-8") as f:
            report = verify(f.read(), vkey, args.email, args.openssl)
    except (Refused, ValueError, KeyError, TypeError, IndexError) as error:
        print(json.dumps({"ok": False, "reason": str(error)}))
        sys.exit(4)
    print(json.dumps(report))
    if not report["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
