//! The bounce stage over the whole visible corpus: every bounce and synthetic backscatter
//! file decodes without panic; M is carved from the files that carry a copy; the carved
//! Message-ID and the kind agree with the labels; spam is `not_a_bounce`. Prints the
//! figures and every miss, and fails below the bar.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use blowback::bounce::{self, BounceReport, Completeness, Kind};
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus");
const CARVE_BAR: f64 = 0.97;

/// Labels this stage disagrees with on purpose, with the reason (reported upstream).
const DISPUTED_KIND: &[(&str, &str)] = &[(
    "backscatter/bs-0095.eml",
    "OpenSMTPD \"Delivery status notification: warning\": \"A message is delayed for more than 10 \
     minutes ... only a temporary failure report ... kept in the queue\" is a delay warning; label says bounce",
)];

#[derive(Debug, Default, Clone)]
struct Truth {
    kind: Option<String>,
    has_original: bool,
    message_id: Option<Option<String>>,
    body_present: Option<bool>,
}

fn labels(file: &str, prefix: &str, into: &mut BTreeMap<String, Truth>) {
    for line in fs::read_to_string(Path::new(CORPUS).join(file))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let v: Value = serde_json::from_str(line).unwrap();
        let name = format!("{prefix}{}", v["file"].as_str().unwrap());
        let t = into.entry(name).or_default();
        t.kind = v["kind"].as_str().map(str::to_string);
        t.has_original = v["has_original"].as_bool().unwrap_or(false);
        t.message_id = Some(v["original_message_id"].as_str().map(str::to_string));
        t.body_present = v["original_body_present"].as_bool();
    }
}

fn provenance(into: &mut BTreeMap<String, Truth>) {
    let text = fs::read_to_string(Path::new(CORPUS).join("bounces/PROVENANCE.tsv")).unwrap();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(emb)) = (cols.first(), cols.get(8)) else {
            continue;
        };
        let t = into.entry(format!("bounces/{file}")).or_default();
        if t.kind.is_none() {
            t.has_original = !emb.is_empty() && *emb != "none";
        }
    }
}

fn emls(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(emls(&p));
        } else if p.extension().is_some_and(|x| x == "eml") {
            v.push(p);
        }
    }
    v.sort();
    v
}

fn label_kind(label: &str) -> &str {
    match label {
        "feedback-report" => "feedback_report",
        "spam" => "not_a_bounce",
        other => other,
    }
}

fn kind_name(k: Kind) -> String {
    serde_json::to_value(k)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// Kind expected from the source file name of an unlabelled sisimai bounce.
fn class_kind(name: &str) -> Option<&'static [&'static str]> {
    let base = name.rsplit('/').next()?;
    if base.starts_with("arf-") {
        Some(&["feedback_report"])
    } else if base.starts_with("rfc3834-") {
        Some(&["autoreply"])
    } else if base.starts_with("lhost-")
        || base.starts_with("rhost-")
        || base.starts_with("rfc3464-")
    {
        Some(&["bounce", "delay"])
    } else {
        None
    }
}

#[test]
fn corpus_figures() {
    let mut truth = BTreeMap::new();
    labels("labels.jsonl", "", &mut truth);
    labels("backscatter/labels.jsonl", "backscatter/", &mut truth);
    provenance(&mut truth);

    let root = Path::new(CORPUS);
    let mut files = emls(&root.join("bounces"));
    files.extend(emls(&root.join("backscatter")));
    let (mut want_carve, mut carved, mut false_carve) = (0, 0, 0);
    let (mut kinds_labelled, mut kinds_ok) = (0, 0);
    let (mut class_n, mut class_ok) = (0, 0);
    let (mut ids_n, mut ids_ok) = (0, 0);
    let (mut body_n, mut body_ok) = (0, 0);
    let (mut reports, mut with_recipients) = (0, 0);
    let mut misses = Vec::new();
    let mut seen = 0;
    for path in &files {
        let name = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = fs::read(path).unwrap();
        let r: BounceReport = bounce::decode(&bytes);
        seen += 1;
        let t = truth.get(&name).cloned().unwrap_or_default();
        let got = kind_name(r.kind);
        check_range(&bytes, &r, &name);
        if matches!(r.kind, Kind::Bounce | Kind::Delay) {
            reports += 1;
            with_recipients += usize::from(!r.recipients.is_empty());
        }
        if t.has_original {
            want_carve += 1;
            if r.original.is_some() {
                carved += 1;
            } else {
                misses.push(format!("no carve     {name} (kind {got})"));
            }
        } else if r.original.is_some() && t.kind.is_some() {
            false_carve += 1;
            misses.push(format!("extra carve  {name} (kind {got})"));
        }
        if let Some(k) = &t.kind {
            kinds_labelled += 1;
            if label_kind(k) == got {
                kinds_ok += 1;
            } else if let Some((_, why)) = DISPUTED_KIND.iter().find(|(f, _)| *f == name) {
                kinds_ok += 1;
                misses.push(format!(
                    "kind (disputed label) {name}: label {k}, got {got}: {why}"
                ));
            } else {
                misses.push(format!("kind         {name}: label {k}, got {got}"));
            }
        } else if let Some(allowed) = class_kind(&name) {
            class_n += 1;
            if allowed.contains(&got.as_str()) {
                class_ok += 1;
            } else {
                misses.push(format!(
                    "class kind   {name}: expected {allowed:?}, got {got}"
                ));
            }
        }
        if let (Some(want), Some(o)) = (t.body_present.filter(|_| t.has_original), &r.original) {
            body_n += 1;
            let have = o.completeness != Completeness::HeadersOnly;
            if have == want {
                body_ok += 1;
            } else {
                misses.push(format!(
                    "completeness {name}: label body_present={want}, got {:?}",
                    o.completeness
                ));
            }
        }
        if let Some(want) = t
            .message_id
            .as_ref()
            .filter(|_| t.kind.as_deref() != Some("spam"))
        {
            ids_n += 1;
            let have = match r.kind {
                Kind::Autoreply if r.original.is_none() => r.in_reply_to.clone(),
                _ => r.original.as_ref().and_then(|o| o.message_id.clone()),
            };
            if &have == want {
                ids_ok += 1;
            } else {
                misses.push(format!("message-id   {name}: label {want:?}, got {have:?}"));
            }
        }
    }
    assert_eq!(seen, files.len());
    assert!(seen > 400, "corpus not found: {seen} files");
    let rate = carved as f64 / want_carve.max(1) as f64;
    println!("files decoded:        {seen} (no panic)");
    println!(
        "carve rate:           {carved}/{want_carve} = {:.1}%",
        rate * 100.0
    );
    println!("extra carves:         {false_carve} (labelled files without a copy)");
    println!(
        "kind agreement:       {kinds_ok}/{kinds_labelled} labelled ({} disputed)",
        DISPUTED_KIND.len()
    );
    println!("kind by file class:   {class_ok}/{class_n} unlabelled sisimai files");
    println!("message-id agreement: {ids_ok}/{ids_n}");
    println!("recipients found:     {with_recipients}/{reports} bounces and delays");
    println!(
        "body present agrees:  {body_ok}/{body_n} (headers_only <-> original_body_present false)"
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(rate >= CARVE_BAR, "carve rate {rate:.3} below {CARVE_BAR}");
    assert_eq!(kinds_ok, kinds_labelled, "kind disagreements");
    assert_eq!(ids_ok, ids_n, "message-id disagreements");
    assert_eq!(body_ok, body_n, "completeness disagreements");
}

/// A verbatim range must point at exactly the carved bytes.
fn check_range(input: &[u8], r: &BounceReport, name: &str) {
    if let Some(o) = &r.original {
        if let Some((s, e)) = o.range {
            assert!(s <= e && e <= input.len(), "{name}: range out of bounds");
            assert_eq!(
                &input[s..e],
                &o.bytes[..],
                "{name}: range does not match bytes"
            );
        }
        assert_eq!(
            o.sha256,
            blowback::hash::sha256_hex(&o.bytes),
            "{name}: sha256"
        );
    }
}

#[test]
fn spam_is_not_a_bounce() {
    let files = emls(&Path::new(CORPUS).join("spam"));
    assert!(files.len() > 100);
    let mut wrong = Vec::new();
    let mut wrapped = 0;
    for path in &files {
        let bytes = fs::read(path).unwrap();
        let r = bounce::decode(&bytes);
        if r.kind != Kind::NotABounce {
            wrong.push(format!("{} -> {}", path.display(), kind_name(r.kind)));
        }
        if r.original.is_some() {
            wrapped += 1;
            println!(
                "filter wrapper: {} carved {:?}",
                path.display(),
                r.original.as_ref().map(|o| &o.carrier)
            );
        }
        check_range(&bytes, &r, &path.to_string_lossy());
    }
    println!(
        "spam: {}/{} not_a_bounce, {wrapped} filter wrappers carved",
        files.len() - wrong.len(),
        files.len()
    );
    for w in &wrong {
        println!("  {w}");
    }
    assert!(wrong.is_empty(), "spam classified as a report");
    let r = bounce::decode(
        &fs::read(Path::new(CORPUS).join("spam/phishing_pot/sample-2590.eml")).unwrap(),
    );
    assert!(
        r.original.is_some(),
        "report_safe wrapper must give the wrapped original"
    );
}

/// Golden expectations for the traps named in the corpus README and a few formats.
/// (file, kind, carrier, completeness, depth, verbatim range, first failed recipient).
type Golden = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    bool,
    Option<&'static str>,
);

const GOLDEN: &[Golden] = &[
    (
        "bounces/lhost-sendmail-38.eml",
        "bounce",
        "message/rfc822",
        "full",
        1,
        true,
        Some("kijitora@example.com"),
    ),
    (
        "bounces/lhost-sendmail-58.eml",
        "bounce",
        "text/rfc822-headers",
        "headers_only",
        1,
        true,
        Some("info@example.jp"),
    ),
    (
        "bounces/lhost-exchange2007-05.eml",
        "bounce",
        "message/rfc822",
        "full",
        1,
        true,
        Some("gwang1@student.mlcsyd.nsw.edu.au"),
    ),
    (
        "bounces/rhost-spectrum-01.eml",
        "bounce",
        "message/rfc822",
        "full",
        1,
        true,
        Some("theusername@charter.net"),
    ),
    (
        "bounces/lhost-qmail-01.cr.eml",
        "bounce",
        "inline",
        "full",
        1,
        true,
        Some("kijitora@example.ne.jp"),
    ),
    (
        "bounces/lhost-exim-01.crlf.eml",
        "bounce",
        "inline",
        "full",
        1,
        true,
        Some("kijitora@example.ed.jp"),
    ),
    (
        "bounces/lhost-gmail-01.eml",
        "bounce",
        "inline",
        "full",
        1,
        true,
        Some("userunknown@example.jp"),
    ),
    (
        "bounces/lhost-gmail-03.eml",
        "bounce",
        "inline",
        "full",
        1,
        false,
        Some("kijitora@example.co.jp"),
    ),
    (
        "bounces/rfc3464-04.eml",
        "bounce",
        "inline",
        "full",
        1,
        true,
        Some("kijitora@mailx-53.neko.example.edu"),
    ),
    (
        "bounces/lhost-dragonfly-01.eml",
        "bounce",
        "inline",
        "headers_only",
        1,
        true,
        None,
    ),
    (
        "bounces/lhost-fml-03.eml",
        "bounce",
        "inline-quoted",
        "full",
        1,
        false,
        None,
    ),
    (
        "bounces/rhost-google-02.eml",
        "bounce",
        "message/rfc822",
        "full",
        1,
        true,
        Some("neko-nyaan@example.org"),
    ),
    (
        "bounces/arf-17.eml",
        "feedback_report",
        "message/rfc822",
        "full",
        1,
        true,
        None,
    ),
    (
        "bounces/rfc3464-07.eml",
        "delay",
        "text/rfc822-headers",
        "headers_only",
        1,
        true,
        Some("kijitora@example.net"),
    ),
    (
        "backscatter/bs-0024.eml",
        "bounce",
        "inline",
        "full",
        2,
        true,
        Some("unhfxrb@victim-domain.net"),
    ),
    (
        "backscatter/bs-0185.eml",
        "bounce",
        "text/rfc822-headers",
        "headers_only",
        2,
        true,
        None,
    ),
];

#[test]
fn golden_traps() {
    for &(file, kind, carrier, completeness, depth, verbatim, recipient) in GOLDEN {
        let r = bounce::decode(&fs::read(Path::new(CORPUS).join(file)).unwrap());
        assert_eq!(kind_name(r.kind), kind, "{file}");
        let o = r
            .original
            .as_ref()
            .unwrap_or_else(|| panic!("{file}: no original"));
        assert_eq!(o.carrier, carrier, "{file}");
        assert_eq!(
            serde_json::to_value(o.completeness).unwrap(),
            completeness,
            "{file}"
        );
        assert_eq!(o.depth, depth, "{file}");
        assert_eq!(o.range.is_some(), verbatim, "{file}");
        if recipient.is_some() {
            assert_eq!(
                r.recipients
                    .first()
                    .and_then(|x| x.final_recipient.as_deref()),
                recipient,
                "{file}"
            );
        }
    }
    let auto = bounce::decode(&fs::read(Path::new(CORPUS).join("bounces/rfc3834-01.eml")).unwrap());
    assert_eq!(auto.kind, Kind::Autoreply);
    assert!(auto.original.is_none());
}
