#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, one after another, seeded from
# the test fixtures and built hostile shapes (fuzz/seeds/<target>), with the long-line
# and deep-nesting dictionaries (fuzz/dicts), and writes a summary line per target.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP=1
# lets it use the sanitizer flags.
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
export RUSTC_BOOTSTRAP=1
[ -d seeds ] || ./seed.sh
# libFuzzer takes one -dict: the long-line and deep-nesting dictionaries, merged.
dict=$(mktemp)
trap 'rm -f "$dict"' EXIT
cat dicts/*.dict > "$dict"
for target in ingest bounce received contacts decode_paths whois_rdap config; do
    mkdir -p "corpus/$target"
    log="fuzz-$target.log"
    cargo fuzz run -O "$target" "corpus/$target" "seeds/$target" -- \
        -dict="$dict" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 > "$log" 2>&1
    status=$?
    echo "$target exit=$status $(grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1) corpus=$(ls "corpus/$target" | wc -l)"
done
