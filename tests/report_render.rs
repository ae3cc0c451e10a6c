//! Complaints rendered from real corpus bounces and from hand-made cases: golden texts
//! for every template in every language, ARF parsed back with mail-parser, X-ARF
//! validated against the xarf-spec schema, and spam that tries to break out of where
//! it lands. Regenerate goldens with `INSTA_UPDATE=always` and review the diff.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use blowback::annotate::Annotator;
use blowback::app::Analyzer;
use blowback::cases::{Case, CaseMessage, Party, PartyKind};
use blowback::config::Config;
use blowback::deliver::{self, IndexEntry, ReportOptions};
use blowback::enrich::{EnrichConfig, Jurisdictions};
use blowback::ingest::{FormatChoice, Inputs};
use blowback::render::{self, RenderInput, ReportSettings, Templates};
use mail_parser::{Message, MessageParser, MimeHeaders};

/// 2025-11-24 16:00 UTC: the Date of every complaint here.
const NOW: i64 = 1_764_000_000;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus(name: &str) -> String {
    repo()
        .join("tests/fixtures/corpus/backscatter")
        .join(name)
        .display()
        .to_string()
}

const CONFIG: &str = r#"
own_domains = ["victim-domain.net"]
[report]
reporter_name = "Victim Domain Postmaster"
reporter_address = "postmaster@victim-domain.net"
[report.formats]
source_network = ["human", "arf", "xarf"]
authority = ["human", "xarf"]
[report.addresses]
AS8708 = "abuse@rcs-rds.ro"
AS12322 = "abuse@proxad.net"
"#;

fn jurisdictions() -> Jurisdictions {
    Jurisdictions::load(&repo().join("data/jurisdictions.json")).unwrap()
}

/// Runs `report` over inputs into a temporary outbox.
fn outbox(inputs: &[String]) -> (tempfile::TempDir, Vec<IndexEntry>) {
    let config = Config::parse(CONFIG, Path::new("test.toml")).unwrap();
    let limits = config.limits.clone();
    let mut analyzer = Analyzer::new(config, Default::default(), false, NOW);
    analyzer.annotator = Some(Annotator::local(&EnrichConfig::with_data_dir(
        repo().join("data"),
    )));
    let table = jurisdictions();
    let dir = tempfile::tempdir().unwrap();
    let opts = ReportOptions {
        outbox: dir.path(),
        jurisdictions: Some(&table),
        now: NOW,
    };
    let summary = deliver::report(
        &analyzer,
        Inputs::new(inputs, FormatChoice::Auto, &limits),
        &opts,
    )
    .unwrap();
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let index = deliver::read_index(dir.path()).unwrap();
    (dir, index)
}

/// The first 40 backscatter samples of the corpus.
fn some_corpus() -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(repo().join("tests/fixtures/corpus/backscatter"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".eml"))
            .collect();
    names.sort();
    names.into_iter().take(40).map(|n| corpus(&n)).collect()
}

fn three() -> Vec<String> {
    ["bs-0002.eml", "bs-0010.eml", "bs-0042.eml"]
        .map(corpus)
        .to_vec()
}

/// The nested messages attached under a name starting with `prefix`.
fn attachments<'a>(
    message: &'a Message<'a>,
    prefix: &str,
) -> Vec<&'a mail_parser::MessagePart<'a>> {
    message
        .attachments()
        .filter(|a| a.attachment_name().is_some_and(|n| n.starts_with(prefix)))
        .collect()
}

#[test]
fn index_names_every_party_with_why_and_address() {
    let (dir, index) = outbox(&three());
    let kinds: Vec<&str> = index.iter().map(|e| e.party_kind.as_str()).collect();
    assert!(
        kinds.contains(&"source_network")
            && kinds.contains(&"bouncer")
            && kinds.contains(&"authority")
    );
    let md = std::fs::read_to_string(dir.path().join("INDEX.md")).unwrap();
    insta::assert_snapshot!("index_md", md);
    for entry in &index {
        assert!(!entry.why.is_empty());
        assert_eq!(
            entry.needs_review,
            entry.party_kind != "bouncer",
            "{entry:?}"
        );
        assert!(dir.path().join(&entry.file).is_file());
    }
    let ro = index
        .iter()
        .find(|e| e.address.as_deref() == Some("abuse@rcs-rds.ro"))
        .unwrap();
    assert_eq!((ro.country.as_deref(), ro.count), (Some("RO"), 1));
    let unknown = index.iter().find(|e| e.party.contains("AS63949")).unwrap();
    assert_eq!(unknown.address, None);
    assert_eq!(unknown.address_source, "no abuse address known");
}

#[test]
fn every_arf_parses_back_with_all_required_fields() {
    let mut inputs = three();
    inputs.extend(some_corpus());
    let (dir, index) = outbox(&inputs);
    let mut arfs = 0;
    let mut with_rcpt = 0;
    for entry in &index {
        let bytes = std::fs::read(dir.path().join(&entry.file)).unwrap();
        let outer = MessageParser::new().parse(&bytes).unwrap();
        for part in attachments(&outer, "arf-") {
            let arf = part.message().expect("ARF attached as message/rfc822");
            arfs += 1;
            with_rcpt += usize::from(check_arf(arf, entry));
        }
    }
    assert!(arfs >= 3, "only {arfs} ARF reports");
    assert!(
        with_rcpt * 4 >= arfs * 3,
        "Original-Rcpt-To in only {with_rcpt} of {arfs}"
    );
}

/// Checks one ARF; returns whether it names the original recipient (optional in RFC
/// 5965, written whenever the bounce or M names one).
fn check_arf(arf: &Message, entry: &IndexEntry) -> bool {
    let ct = arf.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
    assert_eq!(ct.attribute("report-type"), Some("feedback-report"));
    let root = arf.root_part().sub_parts().unwrap();
    assert_eq!(root.len(), 3, "{}", entry.file);
    let part = |i: usize| &arf.parts[root[i] as usize];
    assert_eq!(part(0).content_type().unwrap().ctype(), "text");
    let report = part(1);
    assert_eq!(
        report.content_type().unwrap().subtype(),
        Some("feedback-report")
    );
    let fields = MessageParser::new()
        .parse_headers(report.contents())
        .unwrap();
    let field = |name: &str| fields.header_raw(name).map(|v| v.trim().to_string());
    assert_eq!(field("Feedback-Type").as_deref(), Some("abuse"));
    assert_eq!(field("Version").as_deref(), Some("1"));
    assert!(field("User-Agent").unwrap().starts_with("blowback/"));
    assert!(
        field("Source-IP")
            .unwrap()
            .parse::<std::net::IpAddr>()
            .is_ok()
    );
    assert!(mail_parser::DateTime::parse_rfc822(&field("Arrival-Date").unwrap()).is_some());
    let from = field("Original-Mail-From").unwrap();
    assert!(
        !from.contains("@victim-domain.net") || from.contains("redacted@"),
        "{from}"
    );
    let evidence = part(2).content_type().unwrap();
    assert!(
        matches!(
            (evidence.ctype(), evidence.subtype()),
            ("message", Some("rfc822")) | ("text", Some("rfc822-headers"))
        ),
        "{evidence:?}"
    );
    // Our own addresses never leave unredacted (RFC 6590).
    let mut raw = String::from_utf8_lossy(report.contents()).into_owned();
    raw.push_str(&String::from_utf8_lossy(part(2).contents()));
    for found in raw.match_indices("@victim-domain.net") {
        let before = &raw[..found.0];
        assert!(
            before.ends_with("redacted"),
            "unredacted address near {:?}",
            &raw[found.0.saturating_sub(40)..found.0 + 20]
        );
    }
    field("Original-Rcpt-To").is_some_and(|to| to.starts_with('<') && to.contains('@'))
}

#[test]
fn arf_with_reported_domain_and_uri_matches_golden() {
    let (dir, index) = outbox(&[corpus("bs-0042.eml")]);
    let entry = index
        .iter()
        .find(|e| e.party_kind == "source_network")
        .unwrap();
    let bytes = std::fs::read(dir.path().join(&entry.file)).unwrap();
    let outer = MessageParser::new().parse(&bytes).unwrap();
    let arf = attachments(&outer, "arf-")[0].message().unwrap();
    let root = arf.root_part().sub_parts().unwrap();
    let fields = String::from_utf8_lossy(arf.parts[root[1] as usize].contents()).into_owned();
    assert!(fields.contains("Reported-Domain: adquiraseuplanobr.com.br"));
    assert!(fields.contains("Reported-Uri: http://wo.adquiraseuplanobr.com.br/"));
    insta::assert_snapshot!("arf_fields_bs0042", fields);
    let xarf = attachments(&outer, "xarf-")[0];
    let mut json: serde_json::Value = serde_json::from_slice(xarf.contents()).unwrap();
    let payload = json["evidence"][0]["payload"].as_str().unwrap().len();
    json["evidence"][0]["payload"] = format!("<{payload} base64 characters>").into();
    insta::assert_snapshot!("xarf_bs0042", serde_json::to_string_pretty(&json).unwrap());
}

fn xarf_validator() -> jsonschema::Validator {
    let dir = repo().join("tests/fixtures/report/xarf");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    jsonschema::options()
        .should_validate_formats(true)
        .with_resource(
            "https://xarf.org/schemas/v4/xarf-core.json",
            jsonschema::Resource::from_contents(read("xarf-core.json")).unwrap(),
        )
        .build(&read("messaging-spam.json"))
        .unwrap()
}

#[test]
fn every_xarf_validates_against_the_schema() {
    let validator = xarf_validator();
    let mut inputs = three();
    inputs.extend(some_corpus());
    let (dir, index) = outbox(&inputs);
    let mut checked = 0;
    for entry in &index {
        let bytes = std::fs::read(dir.path().join(&entry.file)).unwrap();
        let outer = MessageParser::new().parse(&bytes).unwrap();
        for part in attachments(&outer, "xarf-") {
            let json: serde_json::Value = serde_json::from_slice(part.contents()).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&json)
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", entry.file);
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} X-ARF reports");
    // The schema is really applied: a report without the SMTP sender fails.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/report/xarf/messaging-spam.json"))
            .unwrap(),
    )
    .unwrap();
    let mut broken = schema["examples"][0].clone();
    broken.as_object_mut().unwrap().remove("smtp_from");
    assert!(!validator.is_valid(&broken));
}

/// A hand-made case of each kind, for the template goldens.
fn case(kind: PartyKind, country: &str) -> Case {
    let message = CaseMessage {
        seen: 1_623_577_747,
        id: "a".repeat(64),
        source: "bounce.eml".into(),
        original_sha256: Some("b".repeat(64)),
        message_id: Some("<spam-1@sender.example>".into()),
        subject: Some("Cheap watches – Günstige Uhren".into()),
        from: Some("joe@victim-domain.net".into()),
        origin_ip: Some("86.125.127.208".into()),
        origin_reason: Some("mx.bouncer.example recorded that it received the message from [86.125.127.208] (HELO pc).".into()),
        origin_confidence: Some("high".into()),
        bouncer_ip: Some("209.85.220.58".into()),
        forged: vec!["joe@victim-domain.net".into()],
        recipients: vec!["someone@bouncer.example".into()],
        reported_domains: vec!["watches.example".into()],
        reported_uris: vec!["http://watches.example/buy".into()],
        direct: false,
        received_at: None,
    };
    let mut later = message.clone();
    later.seen += 3 * 86_400;
    later.id = "c".repeat(64);
    Case {
        id: format!("{:064x}", kind as u8 + 1),
        party: Party {
            kind,
            key: "abuse@net.example".into(),
            name: "Example Net (AS64500)".into(),
            address: Some("abuse@net.example".into()),
            address_source: "config: report.addresses".into(),
            address_status: blowback::enrich::Verification::Verified,
            country: Some(country.into()),
            why: "a reason given by cases".into(),
        },
        first_seen: message.seen,
        last_seen: later.seen,
        count: 2,
        ips: vec!["86.125.127.208".into()],
        contacts: vec![
            "http://watches.example/buy".into(),
            "watches.example".into(),
        ],
        messages: vec![message, later],
        needs_review: kind != PartyKind::Bouncer,
    }
}

#[test]
fn every_template_in_every_language_matches_golden() {
    let table = jurisdictions();
    let templates = Templates::load(None).unwrap();
    let originals = BTreeMap::new();
    let explain = BTreeMap::new();
    let own = vec!["victim-domain.net".to_string()];
    for (lang, country) in [
        ("en", "US"),
        ("de", "DE"),
        ("ru", "RU"),
        ("es", "ES"),
        ("bg", "BG"),
    ] {
        assert_eq!(render::language_for(Some(country)), lang);
        let settings = ReportSettings {
            reporter_name: "Victim Domain Postmaster".into(),
            reporter_address: Some("postmaster@victim-domain.net".into()),
            ..Default::default()
        };
        let input = RenderInput {
            settings: &settings,
            templates: &templates,
            own_domains: &own,
            originals: &originals,
            explain: &explain,
            jurisdictions: Some(&table),
            now: NOW,
        };
        for kind in PartyKind::ALL {
            let complaint = render::render_case(&case(kind, country), 0, &input).unwrap();
            assert_eq!(complaint.language, lang);
            let parsed = MessageParser::new().parse(&complaint.eml).unwrap();
            let text = format!(
                "Subject: {}\n\n{}",
                parsed.subject().unwrap(),
                parsed.body_text(0).unwrap()
            );
            assert!(
                !text.contains("joe@victim-domain.net"),
                "{lang}/{}",
                kind.name()
            );
            insta::assert_snapshot!(format!("template_{lang}_{}", kind.name()), text);
        }
    }
}

#[test]
fn unknown_country_gets_english_and_config_overrides_the_language() {
    assert_eq!(render::language_for(Some("JP")), "en");
    assert_eq!(render::language_for(None), "en");
    assert_eq!(render::language_for(Some("at")), "de");
}

/// bs-0042 with its returned spam rewritten to attack the complaint: CR/LF, template
/// syntax and HTML in Subject and From, and a body with the same plus a 100 KB line.
fn hostile_bounce() -> Vec<u8> {
    let original = std::fs::read(corpus("bs-0042.eml")).unwrap();
    let text = String::from_utf8_lossy(&original).into_owned();
    let attack = "Win\r\nBcc: victim@evil.example\r\n\r\n{{party.address}} {{> facts_en}} {{#each ips}}X{{/each}} <script>alert(1)</script>";
    let long = "A".repeat(100 * 1024);
    let subject = format!(
        "Subject: =?UTF-8?B?{}?=\nX-Long: {long}",
        render::mime::base64(format!("{attack} {long}").as_bytes())
    );
    let from = format!(
        "From: =?UTF-8?B?{}?= <evyod@victim-domain.net>",
        render::mime::base64("Evil\r\nTo: all@evil.example {{reporter.name}}".as_bytes())
    );
    let body = format!(
        "{attack}\n<html><body><a href=\"http://spam.example.com/x?{{{{x}}}}\">click</a> http://spam.example.com/x?q={{{{reporter.address}}}}</body></html>\n{long}\n"
    );
    let text = text
        .replacen(
            "Subject: =?iso-8859-1?Q?[Bradesco_Sa=FAde]_(1)_motivo_para_ser_nosso_cliente?=\nMessage-ID",
            &format!("{subject}\nMessage-ID"),
            1,
        )
        .replacen("From: Seu Gerente <evyod@victim-domain.net>\nX-mb", &format!("{from}\nX-mb"), 1);
    let start = text
        .find("Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n")
        .unwrap();
    let body_start = text[start..].find("\n\n").unwrap() + start + 2;
    let body_end = text[body_start..].find("\n\n").unwrap() + body_start;
    let mut out = text[..start].to_string();
    out.push_str("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
    out.push_str(&body);
    out.push_str(&text[body_end..]);
    assert!(out.contains("X-Long: AAAA") && out.contains("{{party.address}}"));
    out.into_bytes()
}

#[test]
fn hostile_spam_yields_well_formed_complaints_showing_it_inertly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.eml");
    std::fs::write(&path, hostile_bounce()).unwrap();
    let (outbox, index) = outbox(&[path.display().to_string()]);
    let validator = xarf_validator();
    let source = index
        .iter()
        .find(|e| e.party_kind == "source_network")
        .expect("origin still found");
    for entry in &index {
        let bytes = std::fs::read(outbox.path().join(&entry.file)).unwrap();
        check_well_formed(&bytes, &entry.file);
        let outer = MessageParser::new().parse(&bytes).unwrap();
        assert!(outer.header_raw("Bcc").is_none());
        let to: Vec<_> = outer
            .headers_raw()
            .filter(|(n, _)| n.eq_ignore_ascii_case("To"))
            .collect();
        assert!(to.len() <= 1, "{to:?}");
        assert!(!outer.subject().unwrap_or_default().contains(['\r', '\n']));
        for part in attachments(&outer, "arf-") {
            let arf = part.message().unwrap();
            assert!(check_arf(arf, entry));
            check_well_formed(arf.raw_message(), &entry.file);
            assert!(arf.header_raw("Bcc").is_none());
        }
        for part in attachments(&outer, "xarf-") {
            let json: serde_json::Value = serde_json::from_slice(part.contents()).unwrap();
            assert!(validator.is_valid(&json), "{}", entry.file);
            assert!(json["subject"].as_str().unwrap().chars().count() <= 500);
        }
    }
    let bytes = std::fs::read(outbox.path().join(&source.file)).unwrap();
    let outer = MessageParser::new().parse(&bytes).unwrap();
    let text = outer.body_text(0).unwrap();
    // The spam's text is shown as written (cut), never interpreted.
    assert!(text.contains("Subject: Win Bcc: victim@evil.example {{party.address}} {{> facts_en}} {{#each ips}}X{{/each}} <script>alert(1)</script>"), "{text}");
    assert!(
        !text.contains("AAAAAAAAAA".repeat(30).as_str()),
        "100 KB values are cut"
    );
    assert!(text.lines().all(|l| !l.starts_with("Bcc:")));
    // The huge header line makes M travel as quoted-printable headers only.
    let arf = attachments(&outer, "arf-")[0].message().unwrap();
    let root = arf.root_part().sub_parts().unwrap();
    assert_eq!(
        arf.parts[root[2] as usize]
            .content_type()
            .unwrap()
            .subtype(),
        Some("rfc822-headers")
    );
}

/// Headers end in CRLF, continuation lines start with white space, no line is over
/// 998 octets, and there is no bare CR or LF anywhere.
fn check_well_formed(bytes: &[u8], name: &str) {
    let text = String::from_utf8_lossy(bytes);
    for (i, line) in text.split("\r\n").enumerate() {
        assert!(
            !line.contains('\r') && !line.contains('\n'),
            "{name}: bare CR/LF in line {i}"
        );
        assert!(
            line.len() <= 998,
            "{name}: line {i} is {} octets",
            line.len()
        );
    }
    let head = &text[..text.find("\r\n\r\n").unwrap()];
    for line in head.split("\r\n") {
        assert!(
            line.starts_with([' ', '\t'])
                || line
                    .split_once(':')
                    .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic())),
            "{name}: header line {line:?}"
        );
    }
}

#[test]
fn templates_are_overridable_from_a_folder_and_strict() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("en")).unwrap();
    std::fs::write(
        dir.path().join("en/source_network.hbs"),
        "Hello {{party.name}}: {{count}} message(s).\n",
    )
    .unwrap();
    let templates = Templates::load(Some(dir.path())).unwrap();
    let data = serde_json::json!({"party": {"name": "Net {{x}}"}, "count": 3});
    assert_eq!(
        templates
            .body("en", PartyKind::SourceNetwork, &data)
            .unwrap(),
        "Hello Net {{x}}: 3 message(s).\n"
    );
    // Files not overridden stay the shipped ones; an unknown language falls back to English.
    assert!(
        templates
            .subject(
                "xx",
                &serde_json::json!({"kind": "bouncer", "ips": ["192.0.2.1"]})
            )
            .unwrap()
            .contains("reject")
    );
    // Strict mode: a template naming a value that is not there is an error, not a blank.
    std::fs::write(dir.path().join("en/bouncer.hbs"), "{{no_such_value}}\n").unwrap();
    let templates = Templates::load(Some(dir.path())).unwrap();
    assert!(templates.body("en", PartyKind::Bouncer, &data).is_err());
}
