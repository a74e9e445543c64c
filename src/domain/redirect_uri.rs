use super::InvalidValue;

/// A redirect URI as registered; requests must match it character for
/// character (RFC 9700 section 2.1), so it is kept exactly as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

/// Why a URI cannot be registered, for a message next to its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriProblem {
    NotAbsolute,
    Fragment,
    /// `http` on a host other than loopback.
    InsecureHttp,
    /// Neither `https`, loopback `http` nor a reverse-domain scheme.
    Scheme,
}

impl RedirectUri {
    /// Accepts absolute URIs without a fragment (RFC 6749 section 3.1.2):
    /// `https`, `http` only on a loopback host (RFC 8252 section 7.3), or a
    /// private-use scheme in reverse-domain form for native apps (RFC 8252
    /// section 7.1).
    pub fn parse(raw: &str) -> Result<RedirectUri, InvalidValue> {
        RedirectUri::check(raw).map_err(|problem| {
            InvalidValue::new(match problem {
                UriProblem::NotAbsolute => format!("`{raw}` is not an absolute URI"),
                UriProblem::Fragment => format!("`{raw}` must not contain a fragment (#...)"),
                UriProblem::InsecureHttp => format!(
                    "`{raw}` must use https; http is allowed only for localhost, 127.0.0.1 \
                     and [::1]"
                ),
                UriProblem::Scheme => format!(
                    "`{raw}` must use https, http on a loopback host, or a reverse-domain \
                     private-use scheme such as com.example.app:/callback"
                ),
            })
        })
    }

    /// As [`RedirectUri::parse`], saying which rule failed.
    pub fn check(raw: &str) -> Result<RedirectUri, UriProblem> {
        let Ok(url) = url::Url::parse(raw) else {
            return Err(UriProblem::NotAbsolute);
        };
        if url.fragment().is_some() {
            return Err(UriProblem::Fragment);
        }
        match url.scheme() {
            "https" if url.host().is_some() => Ok(RedirectUri(raw.to_owned())),
            "http" if is_loopback(&url) => Ok(RedirectUri(raw.to_owned())),
            "http" => Err(UriProblem::InsecureHttp),
            scheme if scheme.contains('.') => Ok(RedirectUri(raw.to_owned())),
            _ => Err(UriProblem::Scheme),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a web address (`https` or loopback `http`), as
    /// logout URIs must be, rather than a native app's private-use scheme.
    pub fn is_web(&self) -> bool {
        self.0.starts_with("https://") || self.0.starts_with("http://")
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for uri in [
            "https://rp.example/cb",
            "http://127.0.0.1:9000/cb",
            "http://localhost/cb",
        ] {
            assert!(RedirectUri::parse(uri).is_ok(), "{uri}");
        }
    }

    #[test]
    fn fragments_public_http_and_relative_uris_are_refused() {
        for uri in [
            "https://rp.example/cb#x",
            "http://rp.example/cb",
            "/cb",
            "javascript:x",
        ] {
            assert!(RedirectUri::parse(uri).is_err(), "{uri}");
        }
    }

    #[test]
    fn reverse_domain_schemes_are_accepted() {
        assert!(RedirectUri::parse("com.example.app:/callback").is_ok());
    }
}
