//! MTA families and non-standard bounce wording: names the software or service that wrote
//! a bounce (`postfix`, `exim`, `qmail`, `exchange`, `office365`, `gmail`, ...) from its
//! headers and report text, and reads the failed recipients and the diagnostic a bounce
//! states in prose (`X-Failed-Recipients`, an address alone on a line, SMTP reply lines).

use super::RecipientStatus;

/// (family, needles): the first family with a needle in the headers or text wins.
/// Needles are lower case; specific services come before the generic MTAs they run on.
const FAMILIES: &[(&str, &[&str])] = &[
    ("amazonses", &["amazonses.com", "x-ses-outgoing"]),
    ("amazonworkmail", &["awsapps.com", "amazon workmail", "x-mailer: amazon workmail"]),
    ("sendgrid", &["sendgrid"]),
    ("mimecast", &["mimecast"]),
    ("office365", &["protection.outlook.com", "outlook.office365.com", "prod.outlook.com", "microsoft 365"]),
    ("outlook", &["postmaster@outlook.com", "postmaster@hotmail.com", "postmaster@mail.hotmail.com", "postmaster@live.com"]),
    ("googlegroups", &["googlegroups.com", "google groups"]),
    ("gmail", &["mailer-daemon@googlemail.com", "mailer-daemon@google.com", "google tried to deliver", "gsmtp", "delivery to the following recipient failed permanently"]),
    ("yahoo", &["yahoo.com", "yahoo.co.jp", "yahoo!"]),
    ("aol", &["aol.com"]),
    ("apple", &["icloud.com", "me.com", "oracle communications messaging server", "sun java(tm) system messaging server"]),
    ("mailru", &["mail.ru", "corp.mail.ru"]),
    ("yandex", &["yandex"]),
    ("gmx", &["gmx.net", "gmx.de", "web.de", "gmx.com"]),
    ("zoho", &["zoho"]),
    ("facebook", &["facebook.com"]),
    ("verizon", &["vtext.com", "verizon"]),
    ("ezweb", &["ezweb.ne.jp"]),
    ("kddi", &["kddi"]),
    ("docomo", &["docomo.ne.jp"]),
    ("mcafee", &["mcafee", "x-nai-header"]),
    ("mailmarshal", &["mailmarshal"]),
    ("mfilter", &["m-filter"]),
    ("amavis", &["amavis"]),
    ("imail", &["smtp32", "imail"]),
    ("domino", &["domino"]),
    ("notes", &["lotus notes", "------- failure reasons"]),
    ("exchange", &["x-ms-exchange", "microsoft exchange", "microsoft smtp server", "x-mimeole: produced by microsoft exchange", "delivery has failed to these recipients"]),
    ("courier", &["courier mail server", "courier-mta"]),
    ("opensmtpd", &["opensmtpd", "this is the mailer-daemon at"]),
    ("dma", &["dragonfly mail agent"]),
    ("apachejames", &["james"]),
    ("fml", &["fml "]),
    ("qmail", &["qmail-send", "qmail"]),
    ("exim", &["exim", "this message was created automatically by mail delivery software"]),
    ("postfix", &["postfix", "this is the mail system at host"]),
    ("sendmail", &["sendmail", "transcript of session follows", "unsent message follows", "the original message was received at"]),
];

/// Names the MTA family from lower-case header and report text.
pub fn family(headers: &str, text: &str) -> Option<String> {
    FAMILIES
        .iter()
        .find(|(_, needles)| needles.iter().any(|n| headers.contains(n) || text.contains(n)))
        .map(|(f, _)| f.to_string())
}

/// Recipients named by `X-Failed-Recipients` (comma separated).
pub fn failed_recipients(value: &str) -> Vec<RecipientStatus> {
    value
        .split([',', ' '])
        .map(|a| a.trim().trim_start_matches('<').trim_end_matches('>'))
        .filter(|a| a.contains('@'))
        .map(|a| RecipientStatus { final_recipient: Some(a.to_string()), action: Some("failed".into()), ..Default::default() })
        .collect()
}

/// Recipients and diagnostics stated in prose: an address alone on a line (optionally in
/// angle brackets or followed by `:`), or `Unknown user: addr`, with the SMTP reply or
/// explanation on the following lines.
pub fn prose_recipients(text: &str, exclude: &[String]) -> Vec<RecipientStatus> {
    let mut out: Vec<RecipientStatus> = Vec::new();
    let lines: Vec<&str> = text.lines().take(400).collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(addr) = lone_address(line) else { continue };
        if exclude.iter().any(|e| e.eq_ignore_ascii_case(&addr)) || out.iter().any(|r| r.final_recipient.as_deref() == Some(&addr)) {
            continue;
        }
        let diagnostic = lines[i + 1..]
            .iter()
            .take(4)
            .map(|l| l.trim())
            .take_while(|l| !l.is_empty() && lone_address(l).is_none())
            .collect::<Vec<_>>()
            .join(" ");
        let inline_diag = line.split_once(':').map(|(a, _)| a.trim()).filter(|a| !a.contains('@') && !a.is_empty());
        let diagnostic = inline_diag.map(str::to_string).or((!diagnostic.is_empty()).then_some(diagnostic));
        out.push(RecipientStatus { final_recipient: Some(addr), diagnostic, ..Default::default() });
        if out.len() >= 64 {
            break;
        }
    }
    out
}

fn lone_address(line: &str) -> Option<String> {
    let l = line.trim().trim_end_matches([':', '.', ',']).trim();
    let l = l.rsplit_once(": ").map_or(l, |(head, tail)| if head.contains('@') || head.split_whitespace().count() > 3 { l } else { tail });
    let l = l.trim().trim_start_matches('<').trim_end_matches('>');
    let ok = l.len() <= 254
        && l.matches('@').count() == 1
        && !l.contains(char::is_whitespace)
        && l.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.ends_with('.'));
    ok.then(|| l.to_string())
}

/// A short diagnostic from report text: the first line carrying an SMTP reply code.
pub fn diagnostic(text: &str) -> Option<String> {
    text.lines().take(400).map(str::trim).find(|l| smtp_reply(l)).map(|l| l.chars().take(300).collect())
}

fn smtp_reply(line: &str) -> bool {
    let b = line.as_bytes();
    let at = b.windows(4).position(|w| matches!(w[0], b'4' | b'5') && w[1].is_ascii_digit() && w[2].is_ascii_digit() && matches!(w[3], b' ' | b'-'));
    at.is_some_and(|i| i == 0 || !b[i - 1].is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_from_markers() {
        assert_eq!(family("", "hi. this is the qmail-send program at x").as_deref(), Some("qmail"));
        assert_eq!(family("from: mailer-daemon@googlemail.com", "").as_deref(), Some("gmail"));
        assert_eq!(family("", "this is the mail system at host mx.").as_deref(), Some("postfix"));
        assert_eq!(family("", "nothing"), None);
    }

    #[test]
    fn prose_addresses_and_diagnostic() {
        let t = "I'm afraid I wasn't able to deliver.\n\n<kijitora@example.ne.jp>:\nSorry, no mailbox here by that name.\n\nUnknown user: neko@example.org\n";
        let r = prose_recipients(t, &[]);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].final_recipient.as_deref(), Some("kijitora@example.ne.jp"));
        assert_eq!(r[0].diagnostic.as_deref(), Some("Sorry, no mailbox here by that name."));
        assert_eq!(r[1].diagnostic.as_deref(), Some("Unknown user"));
        assert_eq!(diagnostic("x\n550 5.1.1 <a@b>... User Unknown\n").as_deref(), Some("550 5.1.1 <a@b>... User Unknown"));
    }
}
