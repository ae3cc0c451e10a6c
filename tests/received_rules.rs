//! One test per rule of the trust walk (corpus README, "Originating IP: the trust walk"),
//! on small constructed messages: anchor, peer address, internal hops, end of chain,
//! origin, forwarders, below-origin clues, placeholders, trusted networks, corroboration,
//! anomalies, and totality on hostile input.

use blowback::bounce::{BounceReport, Completeness, Kind, Original};
use blowback::received::{self, OriginReport, Role, TrustConfig};

const DATE: &str = "Mon, 1 Jan 2024 10:00:00 +0000";

/// Our MX received the bounce from the bouncer at `bouncer_ip`.
fn outer(bouncer_rdns: &str, bouncer_ip: &str) -> String {
    format!(
        "Received: from mx.victim.example ([10.0.0.2])\n\tby imap.victim.example with LMTP; {DATE}\n\
         Received: from {bouncer_rdns} ({bouncer_rdns} [{bouncer_ip}])\n\tby mx.victim.example (Postfix) with ESMTPS id 1; {DATE}\n\
         Received: by {bouncer_rdns} (Postfix) id 2; {DATE}\n\
         From: MAILER-DAEMON@{bouncer_rdns}\nSubject: Undelivered Mail\n\nreport\n"
    )
}

fn report(kind: Kind, m: Option<&str>, reporting_mta: Option<&str>) -> BounceReport {
    BounceReport {
        kind,
        mta: None,
        reporting_mta: reporting_mta.map(str::to_string),
        arrival_date: None,
        recipients: Vec::new(),
        bounce_from: None,
        subject: None,
        status: None,
        status_source: None,
        diagnostic: None,
        in_reply_to: None,
        original: m.map(|m| Original {
            bytes: m.as_bytes().to_vec(),
            range: None,
            completeness: Completeness::HeadersOnly,
            sha256: String::new(),
            message_id: None,
            from: None,
            subject: None,
            date: None,
            carrier: "message/rfc822".into(),
            depth: 1,
            header: blowback::bounce::headers::parse_block(m.as_bytes(), 0, m.len()),
            structure: None,
        }),
        // The walk reads the outer message's bytes itself.
        header: Default::default(),
        structure: None,
    }
}

/// A bounce from mx.bouncer.example [203.0.113.10] returning `m`.
fn bounce(m: &str) -> OriginReport {
    bounce_cfg(m, &TrustConfig::default())
}

fn bounce_cfg(m: &str, cfg: &TrustConfig) -> OriginReport {
    let o = outer("mx.bouncer.example", "203.0.113.10");
    received::walk(
        o.as_bytes(),
        &report(Kind::Bounce, Some(m), Some("dns; mx.bouncer.example")),
        cfg,
    )
}

fn origin(r: &OriginReport) -> Option<&str> {
    r.origin.as_ref().map(|o| o.ip.as_str())
}

fn m(lines: &[&str]) -> String {
    let mut s: String = lines
        .iter()
        .map(|l| format!("Received: {l}; {DATE}\n"))
        .collect();
    s.push_str("From: spammer@forged.example\nSubject: buy\n\nbody\n");
    s
}

#[test]
fn rule1_anchor_at_the_bouncer_gives_trust_transfer() {
    let r = bounce(&m(&[
        "from bot.example (dyn-1.isp.example [198.51.100.20]) by mx.bouncer.example (Postfix) with ESMTP id 9",
    ]));
    assert_eq!(r.bouncer_ip.as_deref(), Some("203.0.113.10"));
    let o = r.origin.as_ref().expect("origin");
    assert_eq!(o.ip, "198.51.100.20");
    assert_eq!(o.method, "trust_transfer");
    assert_eq!(o.confidence, "high");
    assert_eq!(o.rdns.as_deref(), Some("dyn-1.isp.example"));
    assert!(o.reason.contains("mx.bouncer.example"), "{}", o.reason);
    assert!(o.documentation, "198.51.100.0/24 is a documentation range");
    assert_eq!(r.anchor.as_ref().map(|a| a.hop), Some(0));
}

#[test]
fn rule1_copy_without_a_bouncer_line_has_no_origin() {
    let r = bounce(&m(&[
        "from User ([198.51.100.66]) by mail.victim.example with Microsoft SMTPSVC(6.0.3790.4675)",
        "from relay.other.example (relay.other.example [198.51.100.67]) by mx.other.example with ESMTP",
    ]));
    assert_eq!(origin(&r), None);
    let why = r.no_origin_reason.as_deref().unwrap_or("");
    assert!(
        why.contains("no Received line written by the bouncer"),
        "{why}"
    );
    assert!(r.untrusted_hops.contains(&"198.51.100.66".to_string()));
}

#[test]
fn rule1_copy_without_any_received_line_has_no_origin() {
    let r = bounce("From: a@b.example\nSubject: x\n\nbody\n");
    assert_eq!(origin(&r), None);
    assert!(
        r.no_origin_reason
            .as_deref()
            .unwrap_or("")
            .contains("no Received header")
    );
}

#[test]
fn forged_lower_chain_does_not_move_the_origin() {
    let r = bounce(&m(&[
        "from bot.example (unknown [198.51.100.20]) by mx.bouncer.example (Postfix) with ESMTP id 9",
        "from trusted-looking.example (mail.victim.example [192.0.2.77]) by mx.victim.example (Postfix) with ESMTPSA id 8",
        "from [10.1.1.1] (helo=x) by mx.bouncer.example with esmtp (Exim 4.96)",
        "from elsewhere.example (elsewhere.example [203.0.113.99]) by relay.elsewhere.example with ESMTP",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.20"));
    assert_eq!(r.untrusted_hops, vec!["192.0.2.77", "203.0.113.99"]);
    assert!(r.hops[1..].iter().all(|h| h.role == Role::Untrusted));
    assert!(
        r.anomalies.iter().any(|a| a.contains("forged")),
        "{:?}",
        r.anomalies
    );
}

#[test]
fn rule2_helo_literal_is_never_the_peer() {
    let r = bounce(&m(&[
        "from [10.0.0.5] (host.example [198.51.100.7]) by mx.bouncer.example (Postfix) with ESMTP id 1",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.7"));
    let r = bounce(&m(&[
        "from [127.0.0.1] (unknown [172.25.191.1]) by mx.bouncer.example (Postfix) with ESMTP id 1",
    ]));
    assert_eq!(origin(&r), None, "private peer, HELO literal ignored");
}

#[test]
fn rule3_private_loopback_and_filter_loops_are_internal() {
    let r = bounce(&m(&[
        "from localhost (localhost [127.0.0.1]) by mx.bouncer.example (Postfix) with ESMTP id 3",
        "from mx.bouncer.example ([127.0.0.1]) by localhost (mx.bouncer.example [127.0.0.1]) (amavisd-new, port 10024) with ESMTP id 2",
        "from gw.bouncer.example (gw.bouncer.example [10.9.9.9]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from bot.example (unknown [198.51.100.30]) by gw.bouncer.example (Postfix) with ESMTP id 0",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.30"));
    assert_eq!(
        r.hops.iter().filter(|h| h.role == Role::Internal).count(),
        3
    );
}

#[test]
fn rule3_same_domain_relay_is_internal_but_a_customer_is_not() {
    let relay = bounce(&m(&[
        "from relay2.bouncer.example (relay2.bouncer.example [192.0.2.40]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from bot.example (unknown [198.51.100.41]) by relay2.bouncer.example (Postfix) with ESMTP id 0",
    ]));
    assert_eq!(origin(&relay), Some("198.51.100.41"));
    let customer = bounce(&m(&[
        "from home (ppp-1-2.dyn.bouncer.example [192.0.2.50]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from [10.0.0.9] by home-pc with SMTP",
    ]));
    assert_eq!(
        origin(&customer),
        Some("192.0.2.50"),
        "a dial-up customer did not write the next line"
    );
}

#[test]
fn rule3_a_relay_known_only_by_its_reverse_name_leaves_the_origin_low() {
    // The spammer's address has the reverse name of the `by` host of a line it forged
    // below: nothing in the message tells that apart from a genuine relay of the bouncer.
    for marked in ["", " (may be forged)"] {
        let r = bounce(&m(&[
            &format!(
                "from relay2.bouncer.example (relay2.bouncer.example [198.51.100.44]{marked}) by mx.bouncer.example (Postfix) with ESMTP id 1"
            ),
            "from pc (unknown [198.51.100.45]) by relay2.bouncer.example (Postfix) with ESMTP id 0",
        ]));
        let o = r.origin.as_ref().expect("an origin, low");
        assert_eq!(o.ip, "198.51.100.45", "{marked}");
        assert_eq!(o.confidence, "low", "{marked}: {}", o.reason);
        assert!(o.reason.contains("FCrDNS"), "{}", o.reason);
        assert_eq!(r.hops[0].role, Role::Unconfirmed, "{marked}");
        assert_eq!(r.needs_fcrdns.len(), 1);
        assert_eq!(r.needs_fcrdns[0].name, "relay2.bouncer.example");
        assert_eq!(r.needs_fcrdns[0].ip, "198.51.100.44");
    }
    // A relay at an address the bouncer is known by (our MX recorded it handing over the
    // bounce) is internal by that address, and the origin keeps its confidence. That the
    // next line's `by` clause gives the peer's address proves only who wrote that line.
    let r = bounce(&m(&[
        "from relay2.bouncer.example (relay2.bouncer.example [203.0.113.10]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from pc (unknown [198.51.100.45]) by relay2.bouncer.example (Postfix) with ESMTP id 0",
    ]));
    let o = r.origin.as_ref().expect("origin");
    assert_eq!(
        (o.ip.as_str(), o.confidence.as_str()),
        ("198.51.100.45", "high")
    );
    assert!(r.needs_fcrdns.is_empty());
}

#[test]
fn rule6_a_filter_known_only_by_name_is_followed_at_low_confidence() {
    let by_name = bounce(&m(&[
        "from esa3.hc1-2.iphmx.com (esa3.hc1-2.iphmx.com [198.51.100.46]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from User ([198.51.100.47]) by esa3.hc1-2.iphmx.com with ESMTP",
    ]));
    let o = by_name.origin.as_ref().expect("origin");
    assert_eq!(
        (o.ip.as_str(), o.confidence.as_str()),
        ("198.51.100.47", "low")
    );
    assert_eq!(by_name.boundary_ip.as_deref(), Some("198.51.100.46"));
    // Microsoft's address proves the provider: followed at the usual confidence.
    let by_address = bounce(&m(&[
        "from mail-am6eur05on2101.outbound.protection.outlook.com (mail-am6eur05on2101.outbound.protection.outlook.com [40.107.22.101]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from User (198.51.100.48) by AM6EUR05FT012.mail.protection.outlook.com (10.233.241.86) with Microsoft SMTP Server id 15.20.5834.8 via Frontend Transport",
    ]));
    let o = by_address.origin.as_ref().expect("origin");
    assert_eq!(
        (o.ip.as_str(), o.confidence.as_str()),
        ("198.51.100.48", "medium")
    );
    assert!(by_address.needs_fcrdns.is_empty());
}

#[test]
fn rule3_a_helo_name_alone_never_makes_a_host_internal() {
    let r = bounce(&m(&[
        "from relay2.bouncer.example (unknown [198.51.100.42]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from x (unknown [198.51.100.43]) by relay2.bouncer.example (Postfix) with ESMTP id 0",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.42"));
}

#[test]
fn rule3_one_large_provider_is_internal() {
    let o = outer("mail-sor-f41.google.com", "209.85.220.41");
    let mm = m(&[
        "by 2002:a05:6402:1234:b0:1:2:3 with SMTP id k1csp1",
        "from bot.example (dsl-5.isp.example. [198.51.100.60]) by mx.google.com with ESMTPS id x1",
    ]);
    let r = received::walk(
        o.as_bytes(),
        &report(Kind::Bounce, Some(&mm), None),
        &TrustConfig::default(),
    );
    assert_eq!(r.bouncer_ip.as_deref(), Some("209.85.220.41"));
    assert_eq!(origin(&r), Some("198.51.100.60"));
}

#[test]
fn rule3_local_reinjection_and_qmail_lines_are_internal() {
    let r = bounce(&m(&[
        "(qmail 1 invoked by uid 999)",
        "by mx.bouncer.example (Postfix) id 7",
        "from bot.example (unknown [198.51.100.70]) by mx.bouncer.example (Postfix) with ESMTP id 6",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.70"));
}

#[test]
fn rule4_webmail_ends_the_walk_without_origin() {
    let r = bounce(&m(&[
        "from web.bouncer.example (web.bouncer.example [10.0.0.8]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "by web.bouncer.example with HTTP",
    ]));
    assert_eq!(origin(&r), None);
    assert!(
        r.no_origin_reason
            .as_deref()
            .unwrap_or("")
            .contains("submission")
    );
    let r = bounce(&m(&["from [198.51.100.80] by mx.bouncer.example via HTTP"]));
    assert_eq!(
        origin(&r),
        Some("198.51.100.80"),
        "webmail that records the browser address"
    );
}

#[test]
fn rule6_hosted_filter_is_traversed_and_boundary_kept() {
    let r = bounce(&m(&[
        "from eu-smtp-delivery-1.mimecast.com (eu-smtp-delivery-1.mimecast.com [185.58.86.1]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from bot.example (unknown [198.51.100.90]) by relay.mimecast.com with ESMTP id m1",
        "from forged.example ([203.0.113.91]) by bot.example with SMTP",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.90"));
    assert_eq!(r.boundary_ip.as_deref(), Some("185.58.86.1"));
    assert_eq!(r.origin.as_ref().unwrap().method, "forwarder");
    assert_eq!(r.hops[0].role, Role::Forwarder);
    assert_eq!(r.untrusted_hops, vec!["203.0.113.91"]);
}

#[test]
fn rule6_senders_provider_is_not_traversed() {
    let r = bounce(&m(&[
        "from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from laptop (dsl.isp.example [198.51.100.95]) by smtp.gmail.com with ESMTPSA id s1",
    ]));
    assert_eq!(origin(&r), Some("209.85.220.41"));
    assert_eq!(r.untrusted_hops, vec!["198.51.100.95"]);
}

#[test]
fn rule10_declared_trusted_relays() {
    let lines = [
        "from relay.mysite.example (relay.mysite.example [192.0.2.100]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from bot.example (unknown [198.51.100.101]) by relay.mysite.example (8.9.3/8.9.3) with ESMTP id 0",
    ];
    let plain = bounce(&m(&lines));
    assert_eq!(origin(&plain), Some("192.0.2.100"));
    let cfg = TrustConfig {
        trusted_networks: vec!["192.0.2.0/25".parse().unwrap()],
        ..TrustConfig::default()
    };
    let trusted = bounce_cfg(&m(&lines), &cfg);
    assert_eq!(origin(&trusted), Some("198.51.100.101"));
    assert_eq!(
        trusted.boundary_ip.as_deref(),
        Some("192.0.2.100"),
        "the undeclared answer stays the boundary"
    );
    let cfg = TrustConfig {
        trusted_hosts: vec!["mysite.example".into()],
        ..TrustConfig::default()
    };
    let by_name = bounce_cfg(&m(&lines), &cfg);
    assert_eq!(origin(&by_name), Some("198.51.100.101"));
    // Declared by name, matched on a reverse name nothing confirmed: low confidence.
    assert_eq!(
        by_name.origin.as_ref().map(|o| o.confidence.as_str()),
        Some("low")
    );
    assert_eq!(by_name.needs_fcrdns.len(), 1);
}

#[test]
fn ipv4_mapped_origin_is_reported_as_ipv4() {
    let r = bounce(&m(&[
        "from bot.example ([::ffff:198.51.100.110]) by mx.bouncer.example with ESMTP id 1",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.110"));
}

#[test]
fn corroboration_counts_only_headers_above_the_origin_line() {
    let mut mm = String::from(
        "Received-SPF: pass (mx.bouncer.example: domain designates 198.51.100.120) client-ip=198.51.100.120;\n",
    );
    mm.push_str(&m(&["from bot.example (unknown [198.51.100.120]) by mx.bouncer.example (Postfix) with ESMTP id 1"]));
    mm = mm.replace(
        "From: spammer",
        "X-Originating-IP: [203.0.113.121]\nFrom: spammer",
    );
    let r = bounce(&mm);
    let spf = r
        .corroboration
        .iter()
        .find(|c| c.header == "Received-SPF")
        .expect("spf");
    assert!(spf.trusted && spf.agrees == Some(true));
    let xo = r
        .corroboration
        .iter()
        .find(|c| c.header == "X-Originating-IP")
        .expect("x-originating-ip");
    assert!(!xo.trusted, "written below the origin line");
    let conflicting = format!(
        "Received-SPF: pass client-ip=203.0.113.5;\n{}",
        m(&[
            "from bot.example (unknown [198.51.100.120]) by mx.bouncer.example (Postfix) with ESMTP id 1"
        ])
    );
    let r = bounce(&conflicting);
    assert!(
        r.anomalies.iter().any(|a| a.contains("Received-SPF")),
        "{:?}",
        r.anomalies
    );
    assert_eq!(r.origin.as_ref().unwrap().confidence, "low");
}

#[test]
fn anomalies_time_backwards_and_helo_mismatch() {
    let mm = "Received: from [192.0.2.9] (unknown [198.51.100.130]) by mx.bouncer.example with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000\n\
              Received: from x ([203.0.113.131]) by bot.example with SMTP; Mon, 1 Jan 2024 12:00:00 +0000\n\nbody\n";
    let r = bounce(mm);
    assert!(
        r.anomalies
            .iter()
            .any(|a| a.contains("time goes backwards")),
        "{:?}",
        r.anomalies
    );
    assert!(
        r.anomalies.iter().any(|a| a.contains("HELO [192.0.2.9]")),
        "{:?}",
        r.anomalies
    );
}

#[test]
fn spam_received_directly_is_anchored_at_our_mx() {
    let mm = m(&[
        "from mx.victim.example ([10.0.0.2]) by imap.victim.example with LMTP",
        "from bot.example (unknown [198.51.100.140]) by mx.victim.example (Postfix) with ESMTP id 1",
        "from forged.example ([203.0.113.141]) by bot.example with SMTP",
    ]);
    let r = received::walk(
        mm.as_bytes(),
        &report(Kind::NotABounce, None, None),
        &TrustConfig::default(),
    );
    assert_eq!(origin(&r), Some("198.51.100.140"));
    assert_eq!(r.origin.as_ref().unwrap().method, "direct");
    assert_eq!(r.bouncer_ip, None);
}

#[test]
fn report_without_copy_has_no_origin() {
    let o = outer("mx.bouncer.example", "203.0.113.10");
    let r = received::walk(
        o.as_bytes(),
        &report(Kind::Autoreply, None, None),
        &TrustConfig::default(),
    );
    assert_eq!(origin(&r), None);
    assert_eq!(r.bouncer_ip.as_deref(), Some("203.0.113.10"));
    assert!(r.no_origin_reason.is_some());
}

#[test]
fn own_mx_from_config_starts_the_outer_walk() {
    let o = format!(
        "Received: from relay.isp.example (relay.isp.example [192.0.2.200]) by mx.upstream.example with ESMTP; {DATE}\n{}",
        outer("mx.bouncer.example", "203.0.113.10")
    );
    let cfg = TrustConfig {
        own_mx: vec!["mx.victim.example".into()],
        ..TrustConfig::default()
    };
    let r = received::walk(o.as_bytes(), &report(Kind::Bounce, None, None), &cfg);
    assert_eq!(r.bouncer_ip.as_deref(), Some("203.0.113.10"));
}

#[test]
fn total_on_hostile_input() {
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for len in [0usize, 1, 7, 100, 5000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xff) as u8
            })
            .collect();
        let b = report(
            Kind::Bounce,
            Some(&String::from_utf8_lossy(&bytes)),
            Some("dns; \u{0}"),
        );
        let _ = received::walk(&bytes, &b, &TrustConfig::default());
    }
    let many: String = (0..5000)
        .map(|i| {
            format!(
                "Received: from h{i} ([198.51.100.{}]) by h{} with ESMTP; {DATE}\n",
                i % 250,
                i + 1
            )
        })
        .collect();
    let r = received::walk(
        many.as_bytes(),
        &report(Kind::NotABounce, None, None),
        &TrustConfig::default(),
    );
    assert!(r.hops.len() <= 200, "hops are capped");
    let long = format!("Received: from {} by x; {DATE}\n\n", "(".repeat(100_000));
    let _ = received::walk(
        long.as_bytes(),
        &report(Kind::NotABounce, None, None),
        &TrustConfig::default(),
    );
}

#[test]
fn explain_names_every_hop() {
    let r = bounce(&m(&[
        "from localhost (localhost [127.0.0.1]) by mx.bouncer.example (Postfix) with ESMTP id 3",
        "from bot.example (unknown [198.51.100.150]) by mx.bouncer.example (Postfix) with ESMTP id 1",
    ]));
    let text = received::explain_to_string(&r);
    assert!(text.contains("203.0.113.10 (bouncer_ip)"), "{text}");
    assert!(text.contains("ORIGIN"), "{text}");
    assert!(text.contains("Origin 198.51.100.150"), "{text}");
    assert!(text.contains("documentation placeholder"), "{text}");
}

#[test]
fn rule6_a_helo_claiming_a_provider_is_not_traversed() {
    // Postfix found no rDNS: the HELO claim is the bot's own.
    let r = bounce(&m(&[
        "from eu-smtp-delivery-1.mimecast.com (unknown [198.51.100.160]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from x (unknown [203.0.113.161]) by relay.mimecast.com with ESMTP id m1",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.160"));
    // Google's addresses are known: a HELO claiming Google from elsewhere is not Google.
    let r = bounce(&m(&[
        "from mail-sor-f41.google.com ([198.51.100.162]) by mx.bouncer.example with ESMTP id 1",
        "from x (x [203.0.113.163]) by mx.google.com with ESMTPS id g1",
    ]));
    assert_eq!(origin(&r), Some("198.51.100.162"));
}

#[test]
fn illegal_literals_are_reported() {
    let r = bounce(&m(&[
        "from bot.example (unknown [198.51.100.170]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from x (x [300.1.2.3]) by bot.example with ESMTP",
    ]));
    assert!(
        r.anomalies
            .iter()
            .any(|a| a.contains("[300.1.2.3] is not a legal address")),
        "{:?}",
        r.anomalies
    );
}

#[test]
fn total_on_mutated_received_lines() {
    let table = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/received/lines.json"
    ))
    .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&table).unwrap();
    let specials = [
        '(', ')', '[', ']', ';', ':', '@', ' ', '\t', 'é', '\u{0}', '=', '.',
    ];
    let mut seed: u64 = 42;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for row in &rows {
        let line: Vec<char> = row["header"].as_str().unwrap().chars().collect();
        for _ in 0..20 {
            let mut l = line.clone();
            for _ in 0..(1 + next() % 4) {
                let at = next() % (l.len() + 1);
                match next() % 3 {
                    0 if at < l.len() => {
                        l.remove(at);
                    }
                    1 => l.insert(at, specials[next() % specials.len()]),
                    _ => l.truncate(at),
                }
            }
            let text: String = l.into_iter().collect();
            let _ = received::parse_received(0, &text);
            let msg = format!("Received: {text}\n\nbody\n");
            let _ = received::walk(
                msg.as_bytes(),
                &report(Kind::Bounce, Some(&msg), Some(&text)),
                &TrustConfig::default(),
            );
        }
    }
}

/// The plain-words rendering of one walk, compared with a committed golden file
/// (`UPDATE_GOLDEN=1` rewrites it).
#[test]
fn explain_matches_golden() {
    let r = bounce(&m(&[
        "from localhost (localhost [127.0.0.1]) by mx.bouncer.example (Postfix) with ESMTP id 3",
        "from eu-smtp-delivery-1.mimecast.com (eu-smtp-delivery-1.mimecast.com [185.58.86.1]) by mx.bouncer.example (Postfix) with ESMTP id 1",
        "from bot.example (unknown [198.51.100.90]) by relay.mimecast.com with ESMTP id m1",
        "from forged.example ([203.0.113.91]) by mail.victim.example with SMTP",
    ]));
    let got = received::explain_to_string(&r);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/received/explain-forwarder.txt"
    );
    if std::env::var("UPDATE_GOLDEN").is_ok() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).expect("golden (UPDATE_GOLDEN=1 creates it)");
    assert_eq!(got, want);
}

#[test]
fn dsn_received_from_mta_corroborates_the_boundary() {
    let o = outer("mx.bouncer.example", "203.0.113.10").replace(
        "report\n",
        "Reporting-MTA: dns; mx.bouncer.example\nReceived-From-MTA: dns; bot.example\n",
    );
    let mm = m(&[
        "from bot.example (unknown [198.51.100.20]) by mx.bouncer.example (Postfix) with ESMTP id 9",
    ]);
    let r = received::walk(
        o.as_bytes(),
        &report(Kind::Bounce, Some(&mm), None),
        &TrustConfig::default(),
    );
    let c = r
        .corroboration
        .iter()
        .find(|c| c.header == "Received-From-MTA")
        .expect("entry");
    assert_eq!(c.name.as_deref(), Some("bot.example"));
    assert_eq!(c.agrees, Some(true));
}

#[test]
fn origin_serialises_with_the_output_contract_fields() {
    let r = bounce(&m(&[
        "from bot.example (dyn-1.isp.example [198.51.100.20]) by mx.bouncer.example (Postfix) with ESMTP id 9",
    ]));
    let v = serde_json::to_value(&r).unwrap();
    for k in [
        "ip",
        "hop",
        "helo",
        "rdns",
        "method",
        "confidence",
        "reason",
    ] {
        assert!(v["origin"].get(k).is_some(), "origin.{k}");
    }
    assert_eq!(v["origin"]["ip"], "198.51.100.20");
    assert_eq!(v["bouncer_ip"], "203.0.113.10");
    assert_eq!(v["hops"][0]["from_ip"], "198.51.100.20");
    assert_eq!(v["hops"][0]["role"], "origin");
}

#[test]
fn a_bouncer_relaying_through_a_provider_is_not_that_provider() {
    // The company's bounce reached us through Amazon SES; the spam reached the company from
    // another SES customer: that hand-over is external, and the lines below are not walked.
    let o = outer("a1-2.smtp-out.amazonses.com", "54.240.1.2").replace(
        "Received: by a1-2.smtp-out.amazonses.com (Postfix) id 2",
        "Received: from mail.company.example (mail.company.example [192.0.2.180]) by a1-2.smtp-out.amazonses.com with ESMTPSA id 2",
    );
    let mm = m(&[
        "from a9-9.smtp-out.amazonses.com (a9-9.smtp-out.amazonses.com [54.240.9.9]) by mail.company.example (Postfix) with ESMTP id 1",
        "from bot.example (unknown [203.0.113.181]) by email-smtp.amazonaws.com with ESMTPSA id 0",
    ]);
    let r = received::walk(
        o.as_bytes(),
        &report(Kind::Bounce, Some(&mm), None),
        &TrustConfig::default(),
    );
    assert_eq!(r.bouncer_ip.as_deref(), Some("54.240.1.2"));
    assert_eq!(origin(&r), Some("54.240.9.9"));
}

#[test]
fn stale_report_text_does_not_anchor_by_provider() {
    // The outer lines name the bouncer (mx.bouncer.example); the report text names a Microsoft
    // host; the copy's top line is Microsoft's: not the bouncer's, so no origin.
    let o = outer("mx.bouncer.example", "203.0.113.10");
    let mm = m(&[
        "from bot.example (198.51.100.190) by AB1PR01MB0001.eurprd01.prod.outlook.com with Microsoft SMTP Server id 15.20.1.1",
    ]);
    let b = report(
        Kind::Bounce,
        Some(&mm),
        Some("dns; BAY004-OMC1S18.hotmail.com"),
    );
    let r = received::walk(o.as_bytes(), &b, &TrustConfig::default());
    assert_eq!(origin(&r), None, "{:?}", r.anchor);
}
