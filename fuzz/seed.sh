#!/usr/bin/env bash
# Fills fuzz/seeds/<target> from the test fixtures (run once before fuzz/run-all.sh).
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../tests/fixtures
for target in ingest bounce received contacts decode_paths; do
    mkdir -p "seeds/$target"
    cp "$fixtures"/corpus/bounces/*.eml "$fixtures"/corpus/backscatter/bs-00[0-4]*.eml \
       "$fixtures"/corpus/spam/spamassassin/*.eml "seeds/$target/"
done
# Hostile shapes: long lines of every ASCII punctuation character as 7bit,
# quoted-printable and base64 text, and deep multipart / message/rfc822 nesting.
python3 - <<'PY'
import base64, os, string
for target in ["ingest", "bounce", "received", "contacts", "decode_paths"]:
    d = f"seeds/{target}"
    for i, c in enumerate(string.punctuation):
        line = c * 65536
        for enc in ["7bit", "quoted-printable", "base64"]:
            body = base64.encodebytes(line.encode()).decode() if enc == "base64" else line
            msg = ("From: a@b.example\nSubject: long\nMIME-Version: 1.0\n"
                   f"Content-Type: text/plain\nContent-Transfer-Encoding: {enc}\n\n{body}\n")
            open(f"{d}/long-{i:02d}-{enc}.eml", "w").write(msg)
    for depth in [50, 500]:
        head = "From: a@b.example\nSubject: deep\n"
        multi = head + "".join(f"Content-Type: multipart/mixed; boundary=\"b{k}\"\n\n--b{k}\n" for k in range(depth))
        open(f"{d}/deep-multipart-{depth}.eml", "w").write(multi + "Content-Type: text/plain\n\nhi\n")
        rfc = head + "Content-Type: message/rfc822\n\n" * depth
        open(f"{d}/deep-rfc822-{depth}.eml", "w").write(rfc + "Subject: x\n\nhi\n")
PY
mkdir -p seeds/whois_rdap seeds/config
find "$fixtures/reference/whois" "$fixtures/reference/rdap" -type f | head -400 | xargs -I{} cp {} seeds/whois_rdap/
cp ../blowback.example.toml ../examples/blowback.toml seeds/config/
echo "seeds: $(find seeds -type f | wc -l) files"
