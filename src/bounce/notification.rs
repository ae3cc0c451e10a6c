//! JSON delivery notifications: the machine-readable bounce and complaint notices that
//! sending services mail to their customers (`{"notificationType":"Bounce","bounce":
//! {"bouncedRecipients":[{"emailAddress":…,"status":…,"diagnosticCode":…}]…}}`).
//! Read by scanning for the field names, not by a JSON parser: mailed JSON is often
//! wrapped at line-length limits in the middle of a value, which a parser rejects.

use super::{Kind, RecipientStatus, normalise};

/// (notification type, kind, the array that lists its recipients).
const TYPES: &[(&str, Kind, &str)] = &[
    ("bounce", Kind::Bounce, "bouncedrecipients"),
    ("complaint", Kind::FeedbackReport, "complainedrecipients"),
    ("delivery", Kind::NotABounce, "recipients"),
];

/// Bytes of text searched for the notification fields.
const LIMIT: usize = 64 * 1024;

/// A notification's kind and recipients.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub kind: Kind,
    pub recipients: Vec<RecipientStatus>,
}

/// The notification in `text` (report text, original case), if it holds one.
pub fn read(text: &str) -> Option<Notification> {
    let text = &text[..floor(text, LIMIT)];
    // Line wraps inside values are undone: a mailed line break is never part of JSON.
    let joined: String = text.lines().map(str::trim_start).collect();
    // A notification relayed as a string inside an envelope object (`"Message" :
    // "{\"notificationType\":…}"`) is read the same way.
    let joined = if joined.contains("\\\"notificationType\\\"") {
        joined.replace("\\\"", "\"")
    } else {
        joined
    };
    // The notification is the message: its text opens with the JSON object.
    if !joined.trim_start().starts_with('{') {
        return None;
    }
    let lower = joined.to_ascii_lowercase();
    let kind_at = lower.find("\"notificationtype\"")?;
    let value = string_after(&joined, kind_at + "\"notificationtype\"".len())?;
    let (_, kind, list) = TYPES
        .iter()
        .find(|(name, _, _)| value.eq_ignore_ascii_case(name))?;
    let mut recipients = Vec::new();
    if *kind != Kind::NotABounce
        && let Some(at) = lower.find(&format!("\"{list}\""))
    {
        let open = at + lower[at..].find('[')?;
        let close = open + lower[open..].find(']')?;
        for item in joined[open..close].split('}') {
            let item_lower = item.to_ascii_lowercase();
            let field = |name: &str| {
                item_lower
                    .find(&format!("\"{name}\""))
                    .and_then(|i| string_after(item, i + name.len() + 2))
            };
            let Some(addr) = field("emailaddress").and_then(|a| normalise::address(&a)) else {
                continue;
            };
            let mut r = RecipientStatus {
                final_recipient: Some(addr),
                action: field("action").map(|a| a.to_ascii_lowercase()),
                status: field("status"),
                diagnostic: field("diagnosticcode").map(|d| super::dsn::strip_type(&d)),
                ..Default::default()
            };
            if *kind == Kind::Bounce && r.action.is_none() {
                r.action = Some("failed".into());
            }
            recipients.push(r);
        }
    }
    Some(Notification {
        kind: *kind,
        recipients,
    })
}

/// The JSON string value after a field name ending at `from` (`: "value"`), unescaped
/// only for `\"` and `\\`.
fn string_after(text: &str, from: usize) -> Option<String> {
    let rest = text
        .get(from..)?
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    let rest = rest.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
        if out.len() > 1024 {
            return None;
        }
    }
    None
}

/// The largest char boundary at or below `at`.
fn floor(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_and_complaint_notifications_with_wrapped_lines() {
        let t = "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bouncedRecipients\":[{\"emailAddress\":\"a@example.org\",\"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"},{\"emailAddress\":\"b@exa\n mple.org\"}]},\"mail\":{\"destination\":[\"c@example.org\"]}}\n";
        let n = read(t).unwrap();
        assert_eq!(n.kind, Kind::Bounce);
        let got: Vec<_> = n
            .recipients
            .iter()
            .map(|r| r.final_recipient.as_deref().unwrap())
            .collect();
        assert_eq!(got, ["a@example.org", "b@example.org"]);
        assert_eq!(
            n.recipients[0].diagnostic.as_deref(),
            Some("550 5.1.1 user unknown")
        );
        let c = read("{\"notificationType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":[{\"emailAddress\":\"x@example.org\"}]}}").unwrap();
        assert_eq!(c.kind, Kind::FeedbackReport);
        assert_eq!(c.recipients.len(), 1);
        assert_eq!(
            read("{\"notificationType\":\"Delivery\"}").unwrap().kind,
            Kind::NotABounce
        );
        assert_eq!(read("no json here"), None);
        let wrapped = read("{\n \"Type\" : \"Notification\",\n \"Message\" : \"{\\\"notificationType\\\":\\\"Bounce\\\",\\\"bouncedRecipients\\\":[{\\\"emailAddress\\\":\\\"a@example.org\\\"}]}\"\n}").unwrap();
        assert_eq!(wrapped.recipients.len(), 1);
        assert_eq!(read("{\"notificationType\":\"Other\"}"), None);
    }
}
