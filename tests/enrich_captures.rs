//! Each real WHOIS/RDAP capture in tests/fixtures/reference parsed as the registry meant
//! it: the registrar from the queried domain's own record, the abuse address the registry
//! designates for the most specific network holding the address, never one from remarks,
//! ranges printed as the registry's block. Expected values were read off the captures by
//! hand (and agree with other projects' expected parses of the same captures).

use std::net::IpAddr;
use std::path::PathBuf;

use blowback::enrich::Verification;
use blowback::enrich::abuse::{self, AbuseScope};

fn capture(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reference")
        .join(rel);
    String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_else(|e| panic!("{rel}: {e}"))).into()
}

fn json(rel: &str) -> serde_json::Value {
    serde_json::from_str(&capture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn registrar_of_the_queried_domain_for_every_format() {
    // (capture, domain asked, registrar, first abuse address)
    let table: &[(&str, &str, Option<&str>, Option<&str>)] = &[
        (
            "whois/domain/com/google.com_verisign_legacy-hostname-spam.txt",
            "google.com",
            Some("MARKMONITOR INC."),
            None,
        ),
        (
            "whois/domain/com/google.com_verisign_2020.txt",
            "google.com",
            Some("MarkMonitor Inc."),
            Some("abusecomplaints@markmonitor.com"),
        ),
        (
            "whois/domain/fi/druid.fi.txt",
            "druid.fi",
            Some("CSL Computer Service Langenbach GmbH (d/b/a joker.com)"),
            None,
        ),
        (
            "whois/domain/id/google.co.id_pandi.txt",
            "google.co.id",
            Some("PT Digital Registra Indonesia"),
            Some("info@digitalregistra.co.id"),
        ),
        (
            "whois/domain/kz/yandex.kz.txt",
            "yandex.kz",
            Some("HOSTER.KZ"),
            None,
        ),
        (
            "whois/domain/kz/google.kz.txt",
            "google.kz",
            Some("KAZNIC"),
            None,
        ),
        (
            "whois/domain/nz/yahoo.co.nz.txt",
            "yahoo.co.nz",
            Some("MarkMonitor. Inc"),
            None,
        ),
        (
            "whois/domain/tw/google.com.tw_twnic.txt",
            "google.com.tw",
            Some("Markmonitor, Inc."),
            None,
        ),
        (
            "whois/domain/ua/google.com.ua.txt",
            "google.com.ua",
            Some("ua.markmonitor"),
            Some("abusecomplaints@markmonitor.com"),
        ),
        (
            "whois/domain/kr/google.kr_whois.kr_utf8.txt",
            "google.kr",
            Some("Whois Corp.(http://whois.co.kr)"),
            None,
        ),
        (
            "whois/domain/uk/google.co.uk_nominet.txt",
            "google.co.uk",
            Some("Markmonitor Inc. t/a MarkMonitor Inc. [Tag = MARKMONITOR]"),
            None,
        ),
        (
            "whois/domain/nl/app.nl.txt",
            "app.nl",
            Some("Hosting Secure"),
            Some("abuse@hostingsecure.com"),
        ),
    ];
    for (file, domain, registrar, abuse_first) in table {
        let text = capture(file);
        let record = abuse::domain_record(&text, domain);
        assert_eq!(
            record.status,
            Verification::Verified,
            "{file}: {}",
            record.note
        );
        let (name, _, contacts) = abuse::registrar_from_whois(record.text, "test");
        assert_eq!(name.as_deref(), *registrar, "{file}");
        assert_eq!(
            contacts.first().map(|c| c.email.as_str()),
            *abuse_first,
            "{file}"
        );
    }
    // A registry answer about another name is not the queried domain's record.
    let text = capture("whois/domain/com/google.com_verisign_2020.txt");
    assert_eq!(
        abuse::domain_record(&text, "evil-google.com").status,
        Verification::Conflict
    );
}

#[test]
fn the_most_specific_network_and_its_designated_abuse_address() {
    // (capture, address asked, network shown, netname, designated abuse addresses)
    let table: &[(&str, &str, &str, &str, &[&str])] = &[
        (
            "whois/ip/apnic/2001_240_10c_1__ca20_9d1d_ipwhois2015.txt",
            "2001:240:10c:1::ca20:9d1d",
            "2001:240:10c::/48",
            "IIJ-PRJNET",
            &[],
        ),
        (
            "whois/ip/ripe/62.239.237.1_ipwhois2015.txt",
            "62.239.237.1",
            "62.239.237.0/24",
            "BT-CORPORATE",
            &["protect@bt.com"],
        ),
        (
            "whois/ip/ripe/2a00_2381_ffff__1_ipwhois2015.txt",
            "2a00:2381:ffff::1",
            "2a00:2381:ffff::/64",
            "BT-WORLD-IPVSIX-LAUNCH",
            &["protect@bt.com"],
        ),
        (
            "whois/ip/apnic/171.0.0.0_irt-abuse-mailbox.txt",
            "171.0.0.1",
            "171.0.0.0/15",
            "STARHUBINTERNET-SG",
            &["abuse@starhub.com"],
        ),
        (
            "whois/ip/afrinic/196.11.240.215_ipwhois2015.txt",
            "196.11.240.215",
            "196.11.239.0 - 196.11.246.255",
            "NET-196-11-239-0",
            &[],
        ),
        (
            "whois/ip/arin/174.0.0.0_referral-to-rwhois.txt",
            "174.0.0.1",
            "174.0.0.0/13",
            "SHAW-COMM",
            &["internet.abuse@sjrb.ca"],
        ),
    ];
    for (file, ip, cidr, netname, abuse_expected) in table {
        let ip: IpAddr = ip.parse().unwrap();
        let n = abuse::network_from_whois(&capture(file), "test", ip).unwrap();
        assert!(n.range.unwrap().contains(ip), "{file}");
        assert_eq!(n.netname.as_deref(), Some(*netname), "{file}");
        let n = n.into_network("test");
        assert_eq!(n.cidr.as_deref(), Some(*cidr), "{file}");
        let got: Vec<&str> = n.abuse.iter().map(|c| c.email.as_str()).collect();
        assert_eq!(got, *abuse_expected, "{file}");
    }
    // The RDAP form of the BT network: start/end written `…/32` print as the block.
    let n =
        abuse::network_from_rdap(&json("rdap/ip/ripe/62.239.237.1_ipwhois2015.json"), "t").unwrap();
    assert_eq!(n.cidr.as_deref(), Some("62.239.237.0/24"));
    // ARIN's origin AS is read for the check against the AS database.
    let n = abuse::network_from_rdap(&json("rdap/ip/arin/2606_4700___32_2024.json"), "t").unwrap();
    assert_eq!(n.origin_asns, [13335]);
}

#[test]
fn rdap_abuse_role_e_mail_typed_abuse_and_the_as_holder() {
    let v = json("rdap/autnum/ripe_AS8283.json");
    let abuse = abuse::rdap_abuse(&v, "t", AbuseScope::Network);
    assert_eq!(abuse[0].email, "abuse@coloclue.net", "{abuse:?}");
    assert!(abuse.iter().all(|c| c.email != "ops@coloclue.net"));
    assert_eq!(
        abuse::rdap_holder(&v).as_deref(),
        Some("Netwerkvereniging Coloclue")
    );
    for (file, holder) in [
        ("rdap/autnum/ripe_AS205697.json", "ALOJALIA CLOUD S.L."),
        ("rdap/autnum/arin_AS13335_2024.json", "Cloudflare, Inc."),
        (
            "rdap/autnum/afrinic_AS37271.json",
            "Workonline Communications(Pty) Ltd",
        ),
    ] {
        assert_eq!(
            abuse::rdap_holder(&json(file)).as_deref(),
            Some(holder),
            "{file}"
        );
    }
    // APNIC: the preferred (`pref: 1`) abuse e-mail first.
    let v = json("rdap/autnum/apnic_AS9269.json");
    assert_eq!(
        abuse::rdap_abuse(&v, "t", AbuseScope::Network)[0].email,
        "abuse@hkbn.net"
    );
}
