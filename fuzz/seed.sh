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
mkdir -p seeds/whois_rdap seeds/config
find "$fixtures/reference/whois" "$fixtures/reference/rdap" -type f | head -400 | xargs -I{} cp {} seeds/whois_rdap/
cp ../blowback.example.toml ../examples/blowback.toml seeds/config/
echo "seeds: $(find seeds -type f | wc -l) files"
