//! The kinds and recipients of issue 20 on small constructed messages: failure notices
//! without a returned original, DSN values normalised (X.400 Final-Recipient, wrappers,
//! comments, invalid Status, codes only in the text), recipients never taken from help
//! text, the original's "To:" line or the returned copy, challenge-response dressed as a
//! DSN, Sieve-reject MDNs, auto-replies in many languages with and without
//! `Auto-Submitted`, an auto-reply that states a failure, and a DSN forwarded as an
//! attachment.

use blowback::bounce::{Kind, StatusSource, decode};

fn recipients(m: &str) -> Vec<String> {
    decode(m.as_bytes())
        .recipients
        .iter()
        .filter_map(|r| r.final_recipient.clone())
        .collect()
}

const COPY: &str = "Received: from bot.example ([198.51.100.7]) by mx.bouncer.example; Mon, 1 Jan 2024 00:00:00 +0000\n\
Message-ID: <spam-1@bot.example>\nFrom: victim@victim-domain.net\nTo: list@bouncer.example\nSubject: Cheap pills\n\nBuy now\n";

fn report(fields: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.bouncer.example\nTo: victim@victim-domain.net\nSubject: Undeliverable\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.bouncer.example\n\n{fields}\n\
--B\nContent-Type: message/rfc822\n\n{COPY}\n--B--\n"
    )
}

#[test]
fn plain_failure_notices_without_an_original_are_bounces() {
    for (subject, text, want) in [
        (
            "Undeliverable: Cheap pills",
            "Delivery to the following recipients failed permanently:\n\n    someone@bouncer.example\n\nMessage removed.\n",
            "someone@bouncer.example",
        ),
        (
            "failure notice",
            "Your message could not be delivered to <user@bouncer.example>: 550 5.1.1 unknown user\n",
            "user@bouncer.example",
        ),
        (
            "Delivery Status Notification (Failure)",
            "The address to which your message was addressed, <x@bouncer.example>, does not exist (#5.1.1)\n",
            "x@bouncer.example",
        ),
    ] {
        let m = format!(
            "Return-Path: <>\nFrom: Mail Delivery System <MAILER-DAEMON@mx.bouncer.example>\nTo: victim@victim-domain.net\nSubject: {subject}\n\n{text}"
        );
        let r = decode(m.as_bytes());
        assert_eq!(r.kind, Kind::Bounce, "{subject}");
        assert_eq!(recipients(&m), vec![want.to_string()], "{subject}");
    }
}

#[test]
fn dsn_values_are_normalised() {
    let m = report(
        "Final-Recipient: x400; /S=Smith/O=Corp/C=GB/\nOriginal-Recipient: rfc822; <smith@bouncer.example>\nAction: failed\nStatus: 5.1.1 (permanent failure)\n\n\
Final-Recipient: rfc822; [SMTP:jones@bouncer.example]\nAction: failed\nStatus: 550\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\n\n\
Final-Recipient: rfc822; SMTP:brown@bouncer.example (Brown)\nAction: failed\nDiagnostic-Code: smtp; 554 denied\n",
    );
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    let got: Vec<(Option<&str>, Option<&str>, Option<StatusSource>)> = r
        .recipients
        .iter()
        .map(|x| {
            (
                x.final_recipient.as_deref(),
                x.status.as_deref(),
                x.status_source,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some("smith@bouncer.example"),
                Some("5.1.1"),
                Some(StatusSource::Dsn)
            ),
            (
                Some("jones@bouncer.example"),
                Some("5.2.2"),
                Some(StatusSource::EnhancedCode)
            ),
            (
                Some("brown@bouncer.example"),
                Some("5.0.0"),
                Some(StatusSource::ReplyCode)
            ),
        ]
    );
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    assert_eq!(r.status_source, Some(StatusSource::Dsn));
}

#[test]
fn a_dsn_recipient_without_an_address_is_named_by_the_report_text() {
    let m = report("Final-Recipient: rfc822; @mx.bouncer.example\nAction: failed\nStatus: 5.1.2\n")
        .replace(
            "Your message could not be delivered.",
            "----- The following addresses had permanent fatal errors -----\n<real@bouncer.example>\n    (reason: 550 Host unknown)",
        );
    assert_eq!(recipients(&m), vec!["real@bouncer.example".to_string()]);
}

#[test]
fn recipients_never_from_help_text_the_original_to_line_or_the_copy() {
    let m = format!(
        "Return-Path: <>\nFrom: postmaster@mx.bouncer.example\nTo: victim@victim-domain.net\nSubject: Undeliverable: Cheap pills\n\n\
Your message\n\n  To:      list@bouncer.example\n  Subject: Cheap pills\n\ndid not reach the following recipient(s):\n\n\
member@bouncer.example on Mon, 1 Jan 2024\n    The recipient name is not recognized\n\n\
If mike.fox@bouncer.example fails, try michael.j.fox@bouncer.example instead.\n\n\
--- Below this line is a copy of the message.\n\n{COPY}\nunknown user: spamtarget@elsewhere.example\n"
    );
    assert_eq!(recipients(&m), vec!["member@bouncer.example".to_string()]);
}

#[test]
fn challenge_dressed_as_a_dsn_is_a_challenge() {
    let m = report("Final-Recipient: rfc822; user@bouncer.example\nAction: failed\nStatus: 5.7.1\n")
        .replace(
            "Your message could not be delivered.",
            "Sender not pre-approved. To have your message delivered, please click the link below to confirm you are a real person.",
        );
    assert_eq!(decode(m.as_bytes()).kind, Kind::Challenge);
}

#[test]
fn sieve_reject_mdn_is_a_failure_for_its_recipient_and_a_read_receipt_is_not() {
    let mdn = |disposition: &str| {
        format!(
            "From: Mail Sieve Subsystem <postmaster@bouncer.example>\nTo: victim@victim-domain.net\nSubject: Automatically rejected mail\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nYour message was automatically rejected by Sieve.\n\n\
--B\nContent-Type: message/disposition-notification\n\nReporting-UA: bouncer.example; Sieve\nFinal-Recipient: rfc822; user@bouncer.example\n\
Original-Message-ID: <spam-1@bot.example>\nDisposition: {disposition}\n\n--B\nContent-Type: message/rfc822\n\n{COPY}\n--B--\n"
        )
    };
    let rejected = mdn("automatic-action/MDN-sent-automatically; deleted");
    let r = decode(rejected.as_bytes());
    assert_eq!(r.kind, Kind::Mdn);
    assert_eq!(
        recipients(&rejected),
        vec!["user@bouncer.example".to_string()]
    );
    assert!(r.original.is_some(), "the returned copy is carved");
    let read = mdn("manual-action/MDN-sent-manually; displayed");
    assert_eq!(decode(read.as_bytes()).kind, Kind::Mdn);
    assert!(recipients(&read).is_empty());
}

#[test]
fn vacation_replies_without_auto_submitted_in_many_languages() {
    let base = "Return-Path: <>\nFrom: someone@bouncer.example\nTo: victim@victim-domain.net\nIn-Reply-To: <spam-1@bot.example>\n";
    for subject in [
        "Auto: Cheap pills",
        "Automatic reply: Cheap pills",
        "Autoreply: Cheap pills",
        "Out of Office: Cheap pills",
        "Abwesenheitsnotiz: Cheap pills",
        "Réponse automatique : Cheap pills",
        "Respuesta automática: Cheap pills",
        "Risposta automatica: Cheap pills",
        "Automatisch antwoord: Cheap pills",
        "Resposta automática: Cheap pills",
        "Automatyczna odpowiedź: Cheap pills",
        "Автоответ: Cheap pills",
        "自動応答: Cheap pills",
        "自动回复: Cheap pills",
    ] {
        let m = format!("{base}Subject: {subject}\n\nThank you for your mail.\n");
        assert_eq!(decode(m.as_bytes()).kind, Kind::Autoreply, "{subject}");
    }
    // No marker in the subject: the null-sender reply saying its writer is away.
    let m = format!("{base}Subject: Re: Cheap pills\n\nIch bin bis 3. Januar nicht im Büro.\n");
    assert_eq!(decode(m.as_bytes()).kind, Kind::Autoreply);
}

#[test]
fn an_auto_reply_stating_a_failure_is_a_bounce() {
    let m = "From: robot@bouncer.example\nTo: victim@victim-domain.net\nAuto-Submitted: auto-replied\nSubject: Re: Cheap pills\n\n\
That's not a valid user here: nobody@bouncer.example\n";
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert_eq!(recipients(m), vec!["nobody@bouncer.example".to_string()]);
}

#[test]
fn a_dsn_forwarded_as_an_attachment_is_read() {
    let inner =
        report("Final-Recipient: rfc822; user@bouncer.example\nAction: failed\nStatus: 5.1.1\n");
    let m = format!(
        "From: gateway@relay.example\nTo: victim@victim-domain.net\nSubject: FW: Undeliverable\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"OUT\"\n\n--OUT\nContent-Type: text/plain\n\nForwarded report attached.\n\n\
--OUT\nContent-Type: message/rfc822\n\n{inner}\n--OUT--\n"
    );
    let r = decode(m.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert_eq!(recipients(&m), vec!["user@bouncer.example".to_string()]);
    let o = r.original.expect("the spam inside the forwarded report");
    assert_eq!(o.message_id.as_deref(), Some("<spam-1@bot.example>"));
    assert_eq!(o.depth, 2);
}

#[test]
fn leading_bom_nul_and_blank_lines_read_like_the_message_without_them() {
    let plain =
        report("Final-Recipient: rfc822; user@bouncer.example\nAction: failed\nStatus: 5.1.1\n");
    let want = decode(plain.as_bytes());
    assert_eq!(want.kind, Kind::Bounce);
    for prefix in [
        &b"\xef\xbb\xbf"[..],
        b"\n\n",
        b"\r\n",
        b"\0\0",
        b"   ",
        b"\xef\xbb\xbf\n",
    ] {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(plain.as_bytes());
        let got = decode(&bytes);
        assert_eq!(got.kind, want.kind, "{prefix:?}");
        assert_eq!(got.recipients, want.recipients, "{prefix:?}");
        let o = got.original.expect("the copy");
        let (s, e) = o.range.expect("a verbatim range");
        assert_eq!(&bytes[s..e], &o.bytes[..], "{prefix:?}");
        assert_eq!(o.sha256, want.original.as_ref().unwrap().sha256);
    }
}
