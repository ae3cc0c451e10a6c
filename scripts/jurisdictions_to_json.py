#!/usr/bin/env python3
"""Convert the jurisdictions research note (Markdown tables) into data/jurisdictions.json.

Usage: jurisdictions_to_json.py jurisdictions.md > data/jurisdictions.json

The note has an EU baseline table (Item | Fact | Source) and a country table
(Code | Main law | Model | Authority / complaint channel | Source(s) | Status). Cell text is kept
verbatim (Markdown emphasis and the dagger mark included), so nothing is lost or reworded; the
`model` column is also reduced to a keyword (opt-in / opt-out / none / unclear) for code to use.
The note carries no date of verification, so `date_verified` is null and `verified_in` names
the note.
"""
import json
import re
import sys

EU = {"AT", "BE", "BG", "CZ", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "NL", "PL", "RO", "SE"}


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def urls(text):
    return re.findall(r"https?://[^\s;)]+", text)


def consent(model):
    m = model.lower()
    if m.startswith("opt-in"):
        return "opt-in"
    if m.startswith("opt-out"):
        return "opt-out"
    if m.startswith("none"):
        return "none"
    if "opt-in" in m and "opt-out" not in m:
        return "opt-in"
    return "unclear"


def status(text):
    t = text.lower()
    if t.startswith("unverified"):
        return "unverified"
    if t.startswith("partly"):
        return "partly-verified"
    return "verified"


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
    eu, countries, section = {}, [], None
    for line in lines:
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        row = cells(line)
        if section and section.startswith("European Union") and len(row) == 3 and row[0] != "Item":
            eu[row[0].lower().replace("-", "_")] = {"fact": row[1], "source": row[2]}
        elif section == "Country table" and len(row) == 6 and row[0] != "Code":
            code, law, model, authority, sources, stat = row
            countries.append({
                "country": code,
                "iso3166": "GB" if code == "UK" else code,
                "law": law,
                "consent_model": consent(model),
                "model": model,
                "authority_and_channel": authority,
                "eu_member": code in EU,
                "sources": sources,
                "source_urls": urls(sources),
                "status": status(stat),
                "status_text": stat,
            })
    out = {
        "about": "Anti-spam law and complaint channels by jurisdiction. Research note, not legal "
                 "advice; re-check before use in a court pack. 'status' follows the note: verified, "
                 "partly-verified (items marked *unverified* in the row still need a check) or "
                 "unverified (a lead only). A dagger (†) marks a citation detail from general knowledge.",
        "verified_in": "blowback shared/reference/jurisdictions.md (stored public copies of the pages listed per row)",
        "date_verified": None,
        "eu_baseline": eu,
        "countries": sorted(countries, key=lambda c: c["country"]),
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
