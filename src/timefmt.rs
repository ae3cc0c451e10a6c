//! UTC timestamps written as RFC 3339 text, as mail-parser writes them
//! (`DateTime::to_rfc3339`), without its formatting machinery: every Received line's date
//! goes through here, and `format!` was most of the cost of reading one.

use mail_parser::DateTime;

/// `DateTime::from_timestamp(t).to_rfc3339()`: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_rfc3339(t: i64) -> String {
    let d = DateTime::from_timestamp(t);
    if d.year > 9999 || d.tz_hour != 0 || d.tz_minute != 0 {
        return d.to_rfc3339();
    }
    let mut out = String::with_capacity(20);
    let mut push = |value: u16, width: u32, after: Option<char>| {
        for place in (0..width).rev() {
            let digit = (value / 10u16.pow(place)) % 10;
            out.push(char::from(b'0' + digit as u8));
        }
        if let Some(c) = after {
            out.push(c);
        }
    };
    push(d.year, 4, Some('-'));
    push(d.month.into(), 2, Some('-'));
    push(d.day.into(), 2, Some('T'));
    push(d.hour.into(), 2, Some(':'));
    push(d.minute.into(), 2, Some(':'));
    push(d.second.into(), 2, Some('Z'));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_as_mail_parser() {
        let mut t: i64 = -5_000_000_000;
        while t < 300_000_000_000 {
            assert_eq!(
                utc_rfc3339(t),
                DateTime::from_timestamp(t).to_rfc3339(),
                "{t}"
            );
            t += 7_919_873;
        }
        for t in [
            0,
            1,
            59,
            86_399,
            951_782_400,
            1_700_000_000,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(
                utc_rfc3339(t),
                DateTime::from_timestamp(t).to_rfc3339(),
                "{t}"
            );
        }
    }
}
