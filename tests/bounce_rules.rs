//! One test per bounce-stage rule, on small constructed messages: RFC 3464 DSN fields,
//! delay DSNs, ARF, each inline marker style and the no-marker case, quoted-printable
//! copies, bounces of bounces, an ordinary message carrying attachments, SpamAssassin
//! `report_safe`, auto-replies, challenges, and CRLF / CR-only line endings.

use blowback::bounce::{Completeness, Kind, decode};

/// The original every constructed bounce returns.
const ORIGINAL: &str = "Return-Path: <victim@victim-domain.net>\n\
Received: from bot.example ([198.51.100.7])\n\tby mx.bouncer.example with ESMTP id 1;\n\tMon, 1 Jan 2024 00:00:00 +0000\n\
Message-ID: <spam-1@bot.example>\n\
From: \"Victim\" <victim@victim-domain.net>\n\
To: user@bouncer.example\n\
Subject: Cheap pills\n\
Date: Mon, 1 Jan 2024 00:00:00 +0000\n\
\n\
Buy now at http://pills.example/\n";

/// Asserts that M was copied verbatim: the range points at exactly its bytes.
fn assert_verbatim(input: &[u8], r: &blowback::bounce::BounceReport) {
    let o = r.original.as_ref().expect("an original");
    let (s, e) = o.range.expect("a verbatim range");
    assert_eq!(&input[s..e], &o.bytes[..]);
}

fn dsn(action: &str, status: &str, subject: &str) -> String {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.bouncer.example>\n\
To: victim@victim-domain.net\n\
Subject: {subject}\n\
MIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"BND\"\n\
\n\
--BND\n\
Content-Type: text/plain\n\
\n\
This is the mail system at host mx.bouncer.example.\n\
\n\
--BND\n\
Content-Type: message/delivery-status\n\
\n\
Reporting-MTA: dns; mx.bouncer.example\n\
Arrival-Date: Mon, 1 Jan 2024 00:00:01 +0000\n\
\n\
Final-Recipient: rfc822; user@bouncer.example\n\
Original-Recipient: rfc822;user@bouncer.example\n\
Action: {action}\n\
Status: {status}\n\
Remote-MTA: dns; store.bouncer.example\n\
Diagnostic-Code: smtp; 550 5.1.1 <user@bouncer.example>:\n    Recipient address rejected\n\
\n\
--BND\n\
Content-Type: message/rfc822\n\
\n\
{ORIGINAL}\n\
--BND--\n"
    )
}

#[test]
fn rfc3464_dsn_fields_and_message_rfc822_carve() {
    let m = dsn("failed", "5.1.1", "Undelivered Mail Returned to Sender");
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert_eq!(r.mta.as_deref(), Some("postfix"));
    assert_eq!(r.reporting_mta.as_deref(), Some("mx.bouncer.example"));
    assert_eq!(
        r.arrival_date.as_deref(),
        Some("Mon, 1 Jan 2024 00:00:01 +0000")
    );
    assert_eq!(
        r.bounce_from.as_deref(),
        Some("MAILER-DAEMON@mx.bouncer.example")
    );
    let rec = &r.recipients[0];
    assert_eq!(rec.final_recipient.as_deref(), Some("user@bouncer.example"));
    assert_eq!(
        rec.original_recipient.as_deref(),
        Some("user@bouncer.example")
    );
    assert_eq!(rec.action.as_deref(), Some("failed"));
    assert_eq!(rec.status.as_deref(), Some("5.1.1"));
    assert_eq!(rec.remote_mta.as_deref(), Some("store.bouncer.example"));
    assert_eq!(
        rec.diagnostic.as_deref(),
        Some("550 5.1.1 <user@bouncer.example>: Recipient address rejected")
    );
    let o = r.original.as_ref().unwrap();
    assert_eq!(o.carrier, "message/rfc822");
    assert_eq!(o.completeness, Completeness::Full);
    assert_eq!(o.depth, 1);
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
    assert_eq!(o.from.as_deref(), Some("victim@victim-domain.net"));
    assert_eq!(o.subject.as_deref(), Some("Cheap pills"));
    assert_eq!(o.bytes, ORIGINAL.as_bytes());
    assert_eq!(o.sha256, blowback::hash::sha256_hex(ORIGINAL.as_bytes()));
    assert_verbatim(m.as_bytes(), &r);
}

#[test]
fn action_delayed_is_a_delay() {
    let r = decode(dsn("delayed", "4.4.1", "Delayed Mail (still being retried)").as_bytes());
    assert_eq!(r.kind, Kind::Delay);
    assert!(r.original.is_some());
}

#[test]
fn headers_only_part_is_headers_only() {
    let head = ORIGINAL.split("\n\n").next().unwrap();
    let m = dsn("failed", "5.1.1", "Undelivered")
        .replace(
            "Content-Type: message/rfc822",
            "Content-Type: text/rfc822-headers",
        )
        .replace(ORIGINAL, &format!("{head}\n"));
    let r = decode(m.as_bytes());
    let o = r.original.as_ref().unwrap();
    assert_eq!(o.carrier, "text/rfc822-headers");
    assert_eq!(o.completeness, Completeness::HeadersOnly);
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
    assert_verbatim(m.as_bytes(), &r);
}

#[test]
fn arf_feedback_report() {
    let m = format!(
        "From: abuse@isp.example\nTo: abuse@victim-domain.net\nSubject: FW: Cheap pills\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\n\n--A\nContent-Type: text/plain\n\n\
This is an email abuse report.\n--A\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n\n\
--A\nContent-Type: message/rfc822\n\n{ORIGINAL}\n--A--\n"
    );
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::FeedbackReport);
    assert_eq!(
        r.original.unwrap().message_id.as_deref(),
        Some("<spam-1@bot.example>")
    );
}

/// A plain-text bounce with `intro`, then `marker` (may be empty), then the copy.
fn text_bounce(from: &str, subject: &str, intro: &str, marker: &str) -> String {
    format!(
        "From: {from}\nTo: victim@victim-domain.net\nSubject: {subject}\n\n{intro}\n\n{marker}\n{ORIGINAL}"
    )
}

fn assert_inline(m: &str) {
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::Bounce, "{m}");
    let o = r.original.as_ref().expect("inline copy carved");
    assert_eq!(o.carrier, "inline");
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
    assert_eq!(o.completeness, Completeness::Full);
    assert_eq!(o.bytes, ORIGINAL.as_bytes());
    assert_verbatim(m.as_bytes(), &r);
}

#[test]
fn exim_marker() {
    let m = text_bounce(
        "Mail Delivery System <Mailer-Daemon@mx.bouncer.example>",
        "Mail delivery failed: returning message to sender",
        "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  user@bouncer.example\n    Unrouteable address",
        "------ This is a copy of the message, including all the headers. ------\n",
    );
    assert_inline(&m);
    let r = decode(m.as_bytes());
    assert_eq!(r.mta.as_deref(), Some("exim"));
    assert_eq!(
        r.recipients[0].final_recipient.as_deref(),
        Some("user@bouncer.example")
    );
    assert_eq!(
        r.recipients[0].diagnostic.as_deref(),
        Some("Unrouteable address")
    );
}

#[test]
fn qmail_marker() {
    let m = text_bounce(
        "MAILER-DAEMON@mx.bouncer.example",
        "failure notice",
        "Hi. This is the qmail-send program at mx.bouncer.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<user@bouncer.example>:\nSorry, no mailbox here by that name. (#5.1.1)",
        "--- Below this line is a copy of the message.\n",
    );
    assert_inline(&m);
    assert_eq!(decode(m.as_bytes()).mta.as_deref(), Some("qmail"));
}

#[test]
fn sendmail_v5_marker() {
    let m = text_bounce(
        "Mail Delivery Subsystem <MAILER-DAEMON@mx.bouncer.example>",
        "Returned mail: User unknown",
        "   ----- Transcript of session follows -----\n550 user@bouncer.example... User unknown",
        "   ----- Unsent message follows -----",
    );
    assert_inline(&m);
}

#[test]
fn imail_and_notes_markers() {
    for marker in [
        "Original message follows.\n",
        "------- Returned Message --------",
    ] {
        let m = text_bounce(
            "\"Postmaster\" <postmaster@bouncer.example>",
            "Undeliverable Mail",
            "Unknown user: user@bouncer.example\n",
            marker,
        );
        assert_inline(&m);
    }
}

#[test]
fn no_marker_header_block_found_by_shape() {
    let m = text_bounce(
        "MAILER-DAEMON@mx.bouncer.example",
        "Mail System Error - Returned Mail",
        "Your message could not be delivered to user@bouncer.example (user unknown).",
        "",
    );
    assert_inline(&m);
}

#[test]
fn gmail_quoted_printable_copy_is_decoded_without_range() {
    let qp = ORIGINAL.replace(
        "Buy now at http://pills.example/",
        "Buy now =3D http://pills.example/",
    );
    let m = format!(
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nTo: victim@victim-domain.net\n\
Subject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\
Content-Transfer-Encoding: quoted-printable\n\nDelivery to the following recipient failed permanently:\n\n     user@bouncer.example\n\n\
----- Original message -----\n\n{qp}"
    );
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert_eq!(r.mta.as_deref(), Some("gmail"));
    let o = r.original.unwrap();
    assert_eq!(o.range, None);
    assert!(o.bytes.ends_with(b"Buy now = http://pills.example/\n"));
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
}

#[test]
fn quoted_copy_is_unquoted() {
    let quoted: String = ORIGINAL.lines().map(|l| format!("> {l}\n")).collect();
    let m = format!(
        "From: postmaster@bouncer.example\nSubject: Undeliverable: Cheap pills\n\nDelivery failed for user@bouncer.example.\n\n{quoted}"
    );
    let r = decode(m.as_bytes());
    let o = r.original.unwrap();
    assert_eq!(o.carrier, "inline-quoted");
    assert_eq!(o.range, None);
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
}

#[test]
fn bounce_of_bounce_descends_to_the_spam() {
    let inner = text_bounce(
        "Mail Delivery System <Mailer-Daemon@mx.bouncer.example>",
        "Mail delivery failed: returning message to sender",
        "A message that you sent could not be delivered to one or more of its recipients.\n\n  user@bouncer.example",
        "------ This is a copy of the message, including all the headers. ------\n",
    );
    let inner = format!("Return-Path: <>\nMessage-ID: <bounce-1@mx.bouncer.example>\n{inner}");
    let outer =
        dsn("failed", "5.0.0", "Undelivered Mail Returned to Sender").replace(ORIGINAL, &inner);
    let r = decode(outer.as_bytes());
    let o = r.original.as_ref().unwrap();
    assert_eq!(o.depth, 2);
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
    assert_eq!(o.bytes, ORIGINAL.as_bytes());
    assert_verbatim(outer.as_bytes(), &r);
}

#[test]
fn ordinary_message_with_attachments_stops_descent() {
    let carrier = format!(
        "Message-ID: <outer-original@victim-domain.net>\nFrom: victim@victim-domain.net\nSubject: photos\n\
MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"M\"\n\n--M\nContent-Type: text/plain\n\nsee attached\n\
--M\nContent-Type: message/rfc822\n\n{ORIGINAL}\n--M--\n"
    );
    let outer = dsn(
        "failed",
        "5.7.1",
        "Returned mail: see transcript for details",
    )
    .replace(ORIGINAL, &carrier);
    let o = decode(outer.as_bytes()).original.unwrap();
    assert_eq!(o.depth, 1);
    assert_eq!(
        o.message_id.as_deref(),
        Some("<outer-original@victim-domain.net>")
    );
}

#[test]
fn report_safe_wrapper_is_not_a_bounce_but_gives_the_original() {
    let m = format!(
        "From: victim@victim-domain.net\nTo: me@example.org\nSubject: [SPAM] Cheap pills\nX-Spam-Flag: YES\n\
X-Spam-Status: Yes, score=12.0\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"S\"\n\n--S\n\
Content-Type: text/plain\n\nSpam detection software, running on the system \"mx\", has\nidentified this incoming email as possible spam.\n\n\
--S\nContent-Type: message/rfc822; x-spam-type=original\nContent-Description: original message before SpamAssassin\n\n{ORIGINAL}\n--S--\n"
    );
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::NotABounce);
    assert_eq!(
        r.original.unwrap().message_id.as_deref(),
        Some("<spam-1@bot.example>")
    );
}

#[test]
fn spam_is_not_a_bounce() {
    let r = decode(ORIGINAL.as_bytes());
    assert_eq!(r.kind, Kind::NotABounce);
    assert!(r.original.is_none());
}

#[test]
fn autoreplies_by_header_and_subject_in_several_languages() {
    let base = "From: someone@bouncer.example\nTo: victim@victim-domain.net\nIn-Reply-To: <spam-1@bot.example>\n";
    let r = decode(
        format!("{base}Auto-Submitted: auto-replied\nSubject: Away\n\nBack Monday.\n").as_bytes(),
    );
    assert_eq!(r.kind, Kind::Autoreply);
    assert_eq!(r.in_reply_to.as_deref(), Some("<spam-1@bot.example>"));
    assert!(r.original.is_none());
    for s in [
        "Automatic reply: Cheap pills",
        "Out of Office: x",
        "Abwesenheitsnotiz: x",
        "Réponse automatique : x",
        "Respuesta automática: x",
        "=?UTF-8?B?6Ieq5YuV5b+c562U?= x",
        "AW: Automatische Antwort: x",
    ] {
        let r = decode(format!("{base}Subject: {s}\n\nI am out of the office.\n").as_bytes());
        assert_eq!(r.kind, Kind::Autoreply, "{s}");
    }
    let r =
        decode(format!("{base}X-Autoreply: yes\nSubject: Re: Cheap pills\n\nThanks.\n").as_bytes());
    assert_eq!(r.kind, Kind::Autoreply);
    let r = decode(format!("{base}Subject: Your vacation winning!\n\nClaim now.\n").as_bytes());
    assert_eq!(
        r.kind,
        Kind::NotABounce,
        "a spam subject mentioning vacation is not an auto-reply"
    );
}

#[test]
fn challenge_response() {
    let m = "From: confirm@bouncer.example\nTo: victim@victim-domain.net\nSubject: Please confirm your message\nX-Delivery-Agent: TMDA/1.1.12\n\n\
I am protected by TMDA. To have your message delivered, please confirm you are human by replying.\n";
    assert_eq!(decode(m.as_bytes()).kind, Kind::Challenge);
    let m = "From: noreply@spamarrest.com\nSubject: Verify your email\n\nClick the link below to verify your message: you are a real person.\n";
    assert_eq!(decode(m.as_bytes()).kind, Kind::Challenge);
}

#[test]
fn delay_warning_without_dsn() {
    let m = "From: Mail Delivery System <MAILER-DAEMON@mx.bouncer.example>\nSubject: Warning: message 1abc-000 delayed 24 hours\n\n\
This message was created automatically by mail delivery software.\nA message that you sent has not yet been delivered to one or more of its\n\
recipients after more than 24 hours on the queue. No action is required on your part.\n  user@bouncer.example\n";
    assert_eq!(decode(m.as_bytes()).kind, Kind::Delay);
}

fn with_endings(s: &str, eol: &str) -> String {
    s.replace('\n', eol)
}

#[test]
fn crlf_and_cr_only_bounces_keep_their_bytes() {
    let lf = dsn("failed", "5.1.1", "Undelivered");
    for eol in ["\r\n", "\r"] {
        let m = with_endings(&lf, eol);
        let r = decode(m.as_bytes());
        assert_eq!(r.kind, Kind::Bounce);
        let o = r.original.as_ref().unwrap();
        assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
        assert_eq!(o.bytes, with_endings(ORIGINAL, eol).as_bytes());
        assert_eq!(o.completeness, Completeness::Full);
        assert_verbatim(m.as_bytes(), &r);
    }
    let exim = text_bounce(
        "Mailer-Daemon@x.example",
        "Mail delivery failed",
        "could not be delivered",
        "------ This is a copy of the message, including all the headers. ------\n",
    );
    for eol in ["\r\n", "\r"] {
        let m = with_endings(&exim, eol);
        let o = decode(m.as_bytes()).original.unwrap();
        assert_eq!(o.bytes, with_endings(ORIGINAL, eol).as_bytes());
    }
}

#[test]
fn corpus_line_ending_variants_agree() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/corpus/bounces/"
    );
    for (lf, other) in [
        ("lhost-exim-01.eml", "lhost-exim-01.crlf.eml"),
        ("lhost-qmail-01.eml", "lhost-qmail-01.cr.eml"),
        ("lhost-yahoo-01.eml", "lhost-yahoo-01.crlf.eml"),
        ("rfc3464-01.eml", "rfc3464-01.cr.eml"),
        ("lhost-postfix-01.eml", "lhost-postfix-01.crlf.eml"),
    ] {
        let (ra, rb) = (
            std::fs::read(format!("{dir}{lf}")).unwrap(),
            std::fs::read(format!("{dir}{other}")).unwrap(),
        );
        let (a, b) = (decode(&ra), decode(&rb));
        let norm = |v: &[u8]| {
            String::from_utf8_lossy(v)
                .replace("\r\n", "\n")
                .replace('\r', "\n")
        };
        let same_source = norm(&ra) == norm(&rb);
        assert_eq!(a.kind, b.kind, "{other}");
        assert_eq!(a.mta, b.mta, "{other}");
        assert_eq!(a.recipients.len(), b.recipients.len(), "{other}");
        let (ao, bo) = (a.original.as_ref(), b.original.as_ref());
        assert_eq!(
            ao.map(|o| &o.message_id),
            bo.map(|o| &o.message_id),
            "{other}"
        );
        assert_eq!(
            ao.map(|o| o.completeness),
            bo.map(|o| o.completeness),
            "{other}"
        );
        // Some variants differ in more than line ends (a decoded Subject): compare M's
        // bytes only where the inputs differ in line ends alone.
        if let (Some(ao), Some(bo), true) = (ao, bo, same_source) {
            assert_eq!(norm(&ao.bytes), norm(&bo.bytes), "{other}");
        }
    }
}

#[test]
fn base64_message_part_is_decoded() {
    let b64 = {
        // Standard base64 without a dependency.
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for (i, c) in ORIGINAL.as_bytes().chunks(3).enumerate() {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for k in 0..4 {
                out.push(if k <= c.len() {
                    T[(n >> (18 - 6 * k)) as usize & 63] as char
                } else {
                    '='
                });
            }
            if i % 19 == 18 {
                out.push('\n');
            }
        }
        out
    };
    let m = dsn("failed", "5.1.1 (user unknown)", "Undelivered")
        .replace(
            "Content-Type: message/rfc822\n",
            "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n",
        )
        .replace(ORIGINAL, &b64);
    let r = decode(m.as_bytes());
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    // The comment is dropped: the status is normalised to `X.Y.Z`.
    assert_eq!(r.recipients[0].status.as_deref(), Some("5.1.1"));
    assert_eq!(
        r.recipients[0].status_source,
        Some(blowback::bounce::StatusSource::Dsn)
    );
    let o = r.original.unwrap();
    assert_eq!(o.range, None);
    assert_eq!(o.bytes, ORIGINAL.as_bytes());
}

#[test]
fn bounce_subjects_in_several_languages() {
    for s in [
        "Unzustellbar: Cheap pills",
        "Non remis : Cheap pills",
        "No se puede entregar: Cheap pills",
        "Non recapitabile: Cheap pills",
        "Onbestelbaar: Cheap pills",
        "Niedostarczalne: Cheap pills",
    ] {
        let m = format!(
            "From: postmaster@bouncer.example\nSubject: {s}\n\nDelivery failed.\n\n{ORIGINAL}"
        );
        let r = decode(m.as_bytes());
        assert_eq!(r.kind, Kind::Bounce, "{s}");
        assert_eq!(
            r.original.unwrap().message_id.as_deref(),
            Some("<spam-1@bot.example>"),
            "{s}"
        );
    }
}

#[test]
fn feedback_fields_without_report_structure() {
    let m = format!(
        "From: staff@hotmail.example\nSubject: complaint about message\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"F\"\n\n\
--F\nContent-Type: text/plain\n\nFeedback-Type: abuse\nUser-Agent: SomeFBL/1.0\nVersion: 0.1\n\n--F\nContent-Type: message/rfc822\n\n{ORIGINAL}\n--F--\n"
    );
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::FeedbackReport);
    assert!(r.original.is_some());
}

#[test]
fn phishing_dressed_as_a_bounce_is_not_a_bounce() {
    for from in [
        "\"Mail Delivery System\" <noreply@lure.example>",
        "MAILER-DAEMON@lure.example",
    ] {
        let m = format!(
            "From: {from}\nReturn-Path: <bulk@lure.example>\nSubject: Undelivered messages: 5 pending\nMIME-Version: 1.0\n\
Content-Type: text/html; charset=utf-8\n\n<p>5 messages could not be delivered to your mailbox. \
<a href=\"http://lure.example/login\">Release them</a></p>\n"
        );
        assert_eq!(decode(m.as_bytes()).kind, Kind::NotABounce, "{from}");
    }
}

#[test]
fn eml_attachment_is_a_message_carrier() {
    let m = dsn("failed", "5.1.1", "Undeliverable").replace(
        "Content-Type: message/rfc822\n",
        "Content-Type: application/octet-stream; name=\"original.eml\"\nContent-Disposition: attachment; filename=\"original.eml\"\n",
    );
    let r = decode(m.as_bytes());
    let o = r.original.as_ref().unwrap();
    assert_eq!(o.carrier, "attachment");
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
    assert_verbatim(m.as_bytes(), &r);
}

#[test]
fn words_inside_the_returned_copy_do_not_change_the_kind() {
    let spam = ORIGINAL.replace(
        "Buy now at http://pills.example/",
        "Your parcel is delayed. We will retry delivery tomorrow.",
    );
    let m = format!(
        "From: Mail Delivery System <Mailer-Daemon@mx.bouncer.example>\nSubject: Mail delivery failed: returning message to sender\n\n\
This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\n\
recipients. The following address(es) failed:\n\n  user@bouncer.example\n\n\
------ This is a copy of the message, including all the headers. ------\n\n{spam}"
    );
    assert_eq!(decode(m.as_bytes()).kind, Kind::Bounce);
}

#[test]
fn mailing_list_rejection_is_a_bounce() {
    let indented: String = ORIGINAL.lines().map(|l| format!("   {l}\n")).collect();
    let m = format!(
        "From: list-admin@lists.example\nTo: victim@victim-domain.net\nSubject: You are not a member (pills ML)\nX-MLServer: fml [fml 4.0]\n\n\
You are not a member of this mailing list.\n\nOriginal mail as follows:\n\n{indented}"
    );
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    let o = r.original.unwrap();
    assert_eq!(o.carrier, "inline-quoted");
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
    assert!(
        r.recipients
            .iter()
            .all(|x| x.final_recipient.as_deref() != Some("victim@victim-domain.net"))
    );
}
