#!/usr/bin/env bash
# Refresh the databases in data/ from upstream and rewrite data/MANIFEST.
#
#   scripts/update-data.sh            # everything that can be fetched
#   SKIP_NPM=1 scripts/update-data.sh # only rebuild jurisdictions.json and MANIFEST
#
# Needs: npm, python3 (venv + pip for mmdb-writer), sha256sum. Optional: curl, for the IANA
# RDAP bootstrap files (IANA_BOOTSTRAP_URL, default https://data.iana.org/rdap).
# Sources and licences: data/README.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
data="$root/data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

COUNTRY_PKG="${COUNTRY_PKG:-@ip-location-db/geo-whois-asn-country-mmdb}"
ASN_PKG="${ASN_PKG:-@ip-location-db/asn}"

fetch_npm() { # package -> extracted dir on stdout
  local pkg="$1" dir="$work/$(echo "$1" | tr '/@' '__')"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz)
  echo "$dir/package"
}

if [[ -z "${SKIP_NPM:-}" ]]; then
  country_dir="$(fetch_npm "$COUNTRY_PKG")"
  cp "$country_dir/geo-whois-asn-country.mmdb" "$data/country.mmdb"
  cp "$country_dir/NRO_LICENSE" "$data/LICENSES/NRO_LICENSE"
  country_ver="$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["version"])' "$country_dir/package.json")"

  asn_dir="$(fetch_npm "$ASN_PKG")"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet 'mmdb-writer==0.2.7'
  asn_ver="$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["version"])' "$asn_dir/package.json")"
  # Build epoch = the package's date stamp (version 2.3.YYYYMMDDHH), so a rebuild is byte-identical.
  epoch="$(date -u -d "$(echo "$asn_ver" | sed -E 's/.*\.([0-9]{4})([0-9]{2})([0-9]{2})[0-9]{2}$/\1-\2-\3/')" +%s)"
  "$work/venv/bin/python" "$root/scripts/build_asn_mmdb.py" "$asn_dir" "$data/asn.mmdb" "$epoch"
  cp "$asn_dir/DBIP-LICENSE" "$data/LICENSES/DBIP-LICENSE"
  cp "$asn_dir/ROUTEVIEWS-LICENSE" "$data/LICENSES/ROUTEVIEWS-LICENSE"
  cp "$asn_dir/MODIFICATIONS" "$data/LICENSES/ip-location-db-asn-MODIFICATIONS"
  echo "$COUNTRY_PKG $country_ver" > "$data/.versions"
  echo "$ASN_PKG $asn_ver" >> "$data/.versions"
fi

if command -v curl >/dev/null && [[ -z "${SKIP_IANA:-}" ]]; then
  base="${IANA_BOOTSTRAP_URL:-https://data.iana.org/rdap}"
  for f in dns ipv4 ipv6 asn; do
    if curl -fsS --max-time 30 -o "$work/$f.json" "$base/$f.json"; then
      python3 -c 'import json,sys;json.load(open(sys.argv[1]))' "$work/$f.json" && cp "$work/$f.json" "$data/rdap-bootstrap/$f.json"
    else
      echo "IANA $f.json not fetched; keeping the shipped copy" >&2
    fi
  done
fi

python3 "$root/scripts/jurisdictions_to_json.py" "$root/tests/fixtures/reference/jurisdictions.md" > "$data/jurisdictions.json"
"$root/scripts/write-manifest.sh"
