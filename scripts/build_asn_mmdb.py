#!/usr/bin/env python3
"""Build data/asn.mmdb from the @ip-location-db/asn CSV files.

Input: asn-ipv4.csv and asn-ipv6.csv (start,end,asn,org; inclusive ranges).
Output: one IPv6 MaxMind DB (IPv4 mapped at ::/96, as GeoLite2 does) whose records use the
GeoLite2-ASN field names, so the `maxminddb` crate's `geoip2::Asn` type reads it and a
GeoLite2-ASN file can be dropped in instead.

Needs: pip install mmdb-writer==0.2.7 (pulls netaddr).
Usage: build_asn_mmdb.py ASN_PACKAGE_DIR OUT.mmdb BUILD_EPOCH
"""
import csv
import ipaddress
import sys

from mmdb_writer import MMDBWriter, MmdbU32
from netaddr import IPSet, IPRange


def ranges(path):
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) < 4:
                continue
            yield row[0], row[1], int(row[2]), row[3]


def main():
    pkg, out, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="blowback-ASN",
        languages=["en"],
        description={"en": "IP to ASN and AS organisation; RouteViews, NRO (RIR) and DB-IP "
                           "IP to ASN Lite data via @ip-location-db/asn (CC BY 4.0)"},
    )
    # Group ranges by (asn, org) so each distinct record is stored once.
    groups = {}
    for name in ("asn-ipv4.csv", "asn-ipv6.csv"):
        for start, end, asn, org in ranges(f"{pkg}/{name}"):
            groups.setdefault((asn, org), []).append(IPRange(start, end))
    for (asn, org), rs in groups.items():
        data = {"autonomous_system_number": MmdbU32(asn)}
        if org:
            data["autonomous_system_organization"] = org
        writer.insert_network(IPSet(rs), data)
    # mmdb-writer stamps time.time(); pin it for a reproducible file.
    import mmdb_writer as m
    m.time.time = lambda: epoch
    writer.to_db_file(out)


if __name__ == "__main__":
    main()
