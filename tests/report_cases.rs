//! Cases (pure grouping) on real corpus records, and the outbox's delivery rules with a
//! fake mailer: deterministic order, no origin complaint without a trustworthy origin,
//! campaign windows, parties from advertised domains, and a send interrupted by a
//! failure that resumes without sending anything twice.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use blowback::annotate::{Annotator, ContactFacts, GeoFacts, HostingFacts};
use blowback::app::Analyzer;
use blowback::cases::{self, CaseOptions, PartyKind};
use blowback::config::Config;
use blowback::deliver::{self, Mailer, ReportOptions, ReviewMode, SendOptions};
use blowback::enrich::{AbuseContact, AbuseScope, EnrichConfig, Jurisdictions};
use blowback::ingest::{FormatChoice, Inputs, Item};
use blowback::output::Record;
use blowback::store::Store;
use blowback::verdict::VerdictKind;

const NOW: i64 = 1_764_000_000;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn analyzer() -> Analyzer {
    let config = Config::parse(
        "own_domains = [\"victim-domain.net\"]\n[report]\nreporter_address = \"postmaster@victim-domain.net\"\n[report.addresses]\nAS8708 = \"abuse@rcs-rds.ro\"\nAS12322 = \"abuse@proxad.net\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let mut analyzer = Analyzer::new(config, Default::default(), false, NOW);
    analyzer.annotator = Some(Annotator::local(&EnrichConfig::with_data_dir(
        repo().join("data"),
    )));
    analyzer
}

fn corpus(n: usize) -> Vec<String> {
    let dir = repo().join("tests/fixtures/corpus/backscatter");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .take(n)
        .map(|n| dir.join(n).display().to_string())
        .collect()
}

fn records(paths: &[String]) -> Vec<Record> {
    let analyzer = analyzer();
    Inputs::new(paths, FormatChoice::Auto, &Default::default())
        .filter_map(|item| match item {
            Item::Message(m) => Some(analyzer.analyze(&m)),
            _ => None,
        })
        .collect()
}

fn options(table: Option<&Jurisdictions>) -> CaseOptions<'_> {
    CaseOptions {
        window_days: 7,
        addresses: [("AS8708".to_string(), "abuse@rcs-rds.ro".to_string())].into(),
        jurisdictions: table,
        now: NOW,
    }
}

#[test]
fn origin_complaints_only_for_messages_with_a_trustworthy_origin() {
    let records = records(&corpus(60));
    let without: Vec<&str> = records
        .iter()
        .filter(|r| r.origin.is_none())
        .filter_map(|r| r.id.as_deref())
        .collect();
    assert!(
        !without.is_empty(),
        "the sample should hold messages without origin"
    );
    let cases = cases::build(&records, &options(None));
    let origin_cases: Vec<_> = cases
        .iter()
        .filter(|c| c.party.kind == PartyKind::SourceNetwork)
        .collect();
    assert!(!origin_cases.is_empty());
    for case in origin_cases {
        for message in &case.messages {
            assert!(message.origin_ip.is_some());
            assert!(!without.contains(&message.id.as_str()));
            assert!(case.ips.contains(message.origin_ip.as_ref().unwrap()));
        }
        assert!(case.needs_review);
    }
}

#[test]
fn grouping_is_deterministic_and_sorted() {
    let mut records = records(&corpus(40));
    let table = Jurisdictions::load(&repo().join("data/jurisdictions.json")).unwrap();
    let first = cases::build(&records, &options(Some(&table)));
    records.reverse();
    let second = cases::build(&records, &options(Some(&table)));
    assert_eq!(first, second);
    let keys: Vec<_> = first
        .iter()
        .map(|c| (c.party.kind, c.party.key.clone(), c.first_seen))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let total: usize = first.iter().map(|c| c.count).sum();
    assert!(total >= first.len());
}

#[test]
fn one_case_per_party_per_campaign_window_and_never_own_bounces() {
    let base = records(&[repo()
        .join("tests/fixtures/corpus/backscatter/bs-0042.eml")
        .display()
        .to_string()])
    .remove(0);
    let at = |day: i64, id: &str| {
        let mut r = base.clone();
        r.id = Some(id.into());
        let date = mail_parser::DateTime::from_timestamp(1_623_577_747 + day * 86_400);
        r.arrival_date = Some(date.to_rfc822());
        r
    };
    let mut own = at(1, "own");
    own.verdict = VerdictKind::OwnBounce;
    let records = vec![at(0, "a"), at(3, "b"), at(10, "c"), own];
    let cases = cases::build(&records, &options(None));
    let ro: Vec<_> = cases
        .iter()
        .filter(|c| c.party.address.as_deref() == Some("abuse@rcs-rds.ro"))
        .collect();
    assert_eq!(ro.len(), 2, "{ro:#?}");
    assert_eq!((ro[0].count, ro[1].count), (2, 1));
    assert_eq!(ro[0].last_seen - ro[0].first_seen, 3 * 86_400);
    assert_ne!(ro[0].id, ro[1].id);
    assert!(
        cases
            .iter()
            .all(|c| c.messages.iter().all(|m| m.id != "own"))
    );
    let bouncer = cases
        .iter()
        .find(|c| c.party.kind == PartyKind::Bouncer)
        .unwrap();
    assert!(!bouncer.needs_review, "our MX recorded the bouncer itself");
}

#[test]
fn advertised_domains_give_hosting_registrar_and_authority_parties() {
    let mut record = records(&[repo()
        .join("tests/fixtures/corpus/backscatter/bs-0042.eml")
        .display()
        .to_string()])
    .remove(0);
    record.contact_facts = vec![ContactFacts {
        kind: "domain".into(),
        value: "wo.adquiraseuplanobr.com.br".into(),
        registrar: Some("Registro.br".into()),
        abuse: vec![AbuseContact {
            email: "abuse@registrar.example".into(),
            scope: AbuseScope::Registrar,
            source: "whois.registro.br".into(),
            via: "e-mail".into(),
            status: blowback::enrich::Verification::Verified,
        }],
        hosting: vec![HostingFacts {
            ip: "200.147.1.1".into(),
            geo: GeoFacts {
                country: Some("BR".into()),
                asn: Some(28573),
                as_org: Some("Claro NXT".into()),
            },
            network: None,
        }],
        ..Default::default()
    }];
    // An advertised account at a mailbox provider: the provider, not its registrar.
    let mut account = record.contacts[0].clone();
    account.kind = "email".into();
    account.value = "susanl2001@hotmail.com".into();
    account.role = "mailbox".into();
    account.registrable_domain = Some("hotmail.com".into());
    record.contacts.push(account);
    let table = Jurisdictions::load(&repo().join("data/jurisdictions.json")).unwrap();
    let cases = cases::build(&[record], &options(Some(&table)));
    let mailbox = cases
        .iter()
        .find(|c| c.party.kind == PartyKind::MailboxProvider)
        .unwrap();
    assert_eq!(mailbox.contacts, vec!["susanl2001@hotmail.com"]);
    assert_eq!(mailbox.party.address.as_deref(), Some("abuse@outlook.com"));
    assert!(
        cases
            .iter()
            .filter(|c| c.party.kind != PartyKind::MailboxProvider)
            .all(|c| !c.contacts.iter().any(|d| d.contains("hotmail.com"))),
        "hotmail.com is never accused as advertised"
    );
    let kinds: Vec<PartyKind> = cases.iter().map(|c| c.party.kind).collect();
    for kind in PartyKind::ALL {
        assert!(kinds.contains(&kind), "{kind:?} missing in {kinds:?}");
    }
    let registrar = cases
        .iter()
        .find(|c| c.party.kind == PartyKind::Registrar)
        .unwrap();
    assert_eq!(
        registrar.party.address.as_deref(),
        Some("abuse@registrar.example")
    );
    assert_eq!(registrar.contacts, vec!["adquiraseuplanobr.com.br"]);
    let hosting = cases
        .iter()
        .find(|c| c.party.kind == PartyKind::HostingNetwork)
        .unwrap();
    assert_eq!(hosting.party.address, None);
    assert_eq!(hosting.party.address_source, "no abuse address known");
    let countries: Vec<_> = cases
        .iter()
        .filter(|c| c.party.kind == PartyKind::Authority)
        .filter_map(|c| c.party.country.as_deref())
        .collect();
    assert_eq!(countries, vec!["BR", "RO"]);
}

/// Fails the n-th delivery (counting from 1), records the rest.
struct FlakyMailer {
    fail_at: usize,
    calls: usize,
    delivered: Vec<String>,
}

impl Mailer for FlakyMailer {
    fn send(
        &mut self,
        from: &str,
        to: &[String],
        bytes: &[u8],
    ) -> Result<String, deliver::SendFailure> {
        self.calls += 1;
        assert_eq!(from, "postmaster@victim-domain.net");
        assert!(bytes.starts_with(b"From: "));
        if self.calls == self.fail_at {
            return Err(deliver::SendFailure::Failed("421 try again later".into()));
        }
        self.delivered.extend(to.iter().cloned());
        Ok("250 OK".into())
    }
}

#[test]
fn an_interrupted_send_resumes_without_sending_twice() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let analyzer = analyzer();
    let inputs: Vec<String> = ["bs-0010.eml", "bs-0042.eml"]
        .iter()
        .map(|n| {
            repo()
                .join("tests/fixtures/corpus/backscatter")
                .join(n)
                .display()
                .to_string()
        })
        .collect();
    deliver::report(
        &analyzer,
        Inputs::new(&inputs, FormatChoice::Auto, &Default::default()),
        &ReportOptions {
            outbox: &outbox,
            jurisdictions: None,
            now: NOW,
        },
    )
    .unwrap();
    // A person answers: yes to the first, no to the second.
    let mut answers = Cursor::new(b"y\nn\n".to_vec());
    let mut shown = Vec::new();
    let review = deliver::review(&outbox, ReviewMode::Ask(&mut answers), &mut shown, NOW).unwrap();
    assert_eq!((review.approved, review.pending), (1, 1));
    let shown = String::from_utf8(shown).unwrap();
    assert!(shown.contains("rests on Received lines written by third parties"));
    let all = deliver::review(&outbox, ReviewMode::All, &mut Vec::new(), NOW).unwrap();
    assert_eq!(all.approved, 2);

    let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
    let opts = SendOptions {
        really: true,
        reporter: Some("postmaster@victim-domain.net"),
        rate_per_minute: 0,
        retry_uncertain: false,
        now: NOW,
    };
    let mut flaky = FlakyMailer {
        fail_at: 1,
        calls: 0,
        delivered: Vec::new(),
    };
    let mut log = Vec::new();
    let first = deliver::send(&outbox, Some(&store), &mut flaky, &opts, &mut log).unwrap();
    assert_eq!(
        (first.sent, first.failed),
        (1, 1),
        "{}",
        String::from_utf8_lossy(&log)
    );
    let mut good = FlakyMailer {
        fail_at: 0,
        calls: 0,
        delivered: Vec::new(),
    };
    let second = deliver::send(&outbox, Some(&store), &mut good, &opts, &mut Vec::new()).unwrap();
    assert_eq!((second.sent, second.already_sent), (1, 1));
    let mut both = flaky.delivered.clone();
    both.extend(good.delivered.clone());
    both.sort();
    assert_eq!(both, vec!["abuse@proxad.net", "abuse@rcs-rds.ro"]);
    let third = deliver::send(&outbox, Some(&store), &mut good, &opts, &mut Vec::new()).unwrap();
    assert_eq!((third.sent, third.already_sent), (0, 2));
}

#[test]
fn outbox_file_names_come_from_hashes_and_sanitised_names_only() {
    let records = records(&corpus(40));
    let cases = cases::build(&records, &options(None));
    for (i, case) in cases.iter().enumerate() {
        let name = blowback::render::complaint::file_name(case, i);
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "{name}"
        );
        assert!(name.ends_with(".eml") && !name.contains(".."), "{name}");
    }
}

#[test]
fn a_second_report_into_the_same_outbox_replaces_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let analyzer = analyzer();
    let run = |names: &[&str]| {
        let inputs: Vec<String> = names
            .iter()
            .map(|n| {
                repo()
                    .join("tests/fixtures/corpus/backscatter")
                    .join(n)
                    .display()
                    .to_string()
            })
            .collect();
        deliver::report(
            &analyzer,
            Inputs::new(&inputs, FormatChoice::Auto, &Default::default()),
            &ReportOptions {
                outbox: &outbox,
                jurisdictions: None,
                now: NOW,
            },
        )
        .unwrap();
        deliver::read_index(&outbox).unwrap()
    };
    run(&["bs-0010.eml", "bs-0042.eml"]);
    let second = run(&["bs-0042.eml"]);
    let mut on_disk: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = second.iter().map(|e| e.file.clone()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn bounces_of_unknown_verdict_and_documentation_addresses_are_never_accused() {
    let base = records(&[repo()
        .join("tests/fixtures/corpus/backscatter/bs-0042.eml")
        .display()
        .to_string()])
    .remove(0);
    assert_eq!(
        base.verdict,
        VerdictKind::Backscatter,
        "the fixture is judged backscatter"
    );
    let mut unknown = base.clone();
    unknown.verdict = VerdictKind::Unknown;
    assert!(
        cases::build(&[unknown], &options(None)).is_empty(),
        "maybe our own mail: no complaint"
    );
    let mut documentation = base.clone();
    if let Some(origin) = &mut documentation.origin {
        origin.found.ip = "192.0.2.77".into();
    }
    let cases = cases::build(&[documentation], &options(None));
    assert!(
        cases
            .iter()
            .all(|c| c.party.kind != PartyKind::SourceNetwork),
        "{cases:#?}"
    );
}
