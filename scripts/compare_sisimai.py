#!/usr/bin/env python3
"""Compares `blowback analyze --ndjson` with sisimai's answers (sisimai.jsonl) on a folder
of bounces.

Detection: of the files sisimai decodes (at least one record that is not a successful
delivery: sisimai runs with `delivered` on, and a "delivered" record reports no failure),
the share that blowback gives the matching kind: a failure kind (bounce, delay, challenge,
mdn) for a failure, feedback_report for sisimai's `feedback`, autoreply for `vacation`.
Recipients: of the same files, the share where the set of recipients is the same
(case-insensitive): failed recipients, or for a feedback report the reported recipient.
Sisimai's recipient of a vacation reply is the replier, which is no failed recipient:
there the kind alone is compared. Files listed in DISAGREE.tsv (file, sisimai says, right
answer, why) count as agreeing.

Usage: compare_sisimai.py FOLDER [--bin PATH] [--split all|dev|held] [--disagree TSV] [-v]
(--disagree defaults to FOLDER/DISAGREE.tsv when it exists; BLOWBACK=path sets --bin.)
The split is fixed: a file is held out when the first byte of SHA-256(name) mod 3 == 0.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

FAILURE = {"bounce", "delay", "challenge", "mdn"}


def expected_kinds(records):
    reasons = {r.get("reason") for r in records}
    if reasons == {"feedback"}:
        return {"feedback_report"}
    if reasons == {"vacation"}:
        return {"autoreply"}
    return FAILURE


def held_out(name):
    return hashlib.sha256(name.encode()).digest()[0] % 3 == 0


def load_disagree(path):
    out = {}
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if cols[0] != "file":
                out[cols[0]] = cols[1:]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--bin", default=os.environ.get("BLOWBACK", "blowback"))
    ap.add_argument("--split", choices=["all", "dev", "held"], default="all")
    ap.add_argument("--disagree")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    labels = {}
    for line in open(os.path.join(a.folder, "sisimai.jsonl"), encoding="utf-8"):
        j = json.loads(line)
        labels[j["file"]] = j
    names = sorted(n for n in labels if os.path.exists(os.path.join(a.folder, n)))
    if a.split == "dev":
        names = [n for n in names if not held_out(n)]
    elif a.split == "held":
        names = [n for n in names if held_out(n)]
    if not names:
        sys.exit("no files to compare")
    paths = [os.path.join(a.folder, n) for n in names]
    run = subprocess.run([a.bin, "analyze", "--ndjson", "-q", "--", *paths],
                         capture_output=True, text=True)
    ours = {}
    for line in run.stdout.splitlines():
        j = json.loads(line)
        # A file opening with a `From ` line is read as an mbox: `path#offset`.
        name = os.path.basename(j["source"]).rsplit("#", 1)[0]
        ours.setdefault(name, j)
    disagree = load_disagree(a.disagree or os.path.join(a.folder, "DISAGREE.tsv"))
    decoded = det = rcpt = 0
    for n in names:
        records = [r for r in labels[n]["records"] if r.get("reason") != "delivered"]
        if not records:
            continue
        decoded += 1
        o = ours.get(n, {})
        kinds = expected_kinds(records)
        want = {r["recipient"].lower() for r in records if r.get("recipient")}
        got = {r.lower() for r in o.get("recipients") or []}
        ok_det = o.get("kind") in kinds
        ok_rcpt = ok_det and (want == got or kinds == {"autoreply"})
        if n in disagree:
            ok_det = ok_rcpt = True
        det += ok_det
        rcpt += ok_rcpt
        if a.verbose and not (ok_det and ok_rcpt):
            print(f"{n}\tkind={o.get('kind')}\tours={sorted(got)}\tsisimai={sorted(want)}")
    print(f"files {len(names)}, sisimai decodes {decoded}: detection {det}/{decoded} "
          f"({100 * det / max(decoded, 1):.1f}%), recipients {rcpt}/{decoded} "
          f"({100 * rcpt / max(decoded, 1):.1f}%)")


if __name__ == "__main__":
    main()
