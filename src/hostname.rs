//! Host-name tests shared by the stages.

/// `host` is `domain` or a subdomain of it (both already lower case, no trailing dot).
/// Compared in place: this runs for every name against every listed domain.
pub fn in_domain(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::in_domain;

    #[test]
    fn subdomains_match_and_lookalikes_do_not() {
        assert!(in_domain("example.com", "example.com"));
        assert!(in_domain("mx1.mail.example.com", "example.com"));
        assert!(!in_domain("badexample.com", "example.com"));
        assert!(!in_domain("example.com.evil.net", "example.com"));
        assert!(!in_domain("com", "example.com"));
    }
}
