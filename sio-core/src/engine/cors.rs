//! Cross-origin resource sharing for the polling transport, with the semantics of the `cors`
//! npm package that Node's `engine.io` uses.

/// Which origins may talk to the server from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Every origin (`Access-Control-Allow-Origin: *`, or the request's origin when credentials
    /// are allowed, since browsers refuse `*` with credentials).
    Any,
    /// Only these exact origins (`https://example.com`); others get no CORS headers.
    List(Vec<String>),
}

/// CORS settings (Node's `cors` option).
///
/// ```
/// use sio_core::engine::Cors;
/// let cors = Cors::any();
/// assert_eq!(
///     cors.headers(Some("http://a.test")),
///     vec![("access-control-allow-origin", "*".to_string())]
/// );
/// let strict = Cors::origins(["https://app.test"]).with_credentials(true);
/// let refused = strict.headers(Some("https://evil.test"));
/// assert!(refused.iter().all(|(name, _)| *name != "access-control-allow-origin"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// The allowed origins.
    pub origins: AllowedOrigins,
    /// Whether to send `Access-Control-Allow-Credentials: true`.
    pub credentials: bool,
    /// The methods a preflight allows.
    pub methods: String,
    /// The headers a preflight allows; `None` reflects the request's
    /// `Access-Control-Request-Headers`.
    pub allowed_headers: Option<String>,
    /// `Access-Control-Max-Age` of a preflight, in seconds.
    pub max_age: Option<u32>,
}

impl Cors {
    /// Any origin, no credentials.
    pub fn any() -> Self {
        Cors {
            origins: AllowedOrigins::Any,
            credentials: false,
            methods: "GET,HEAD,PUT,PATCH,POST,DELETE".to_owned(),
            allowed_headers: None,
            max_age: None,
        }
    }

    /// Only the given origins.
    pub fn origins<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Cors {
            origins: AllowedOrigins::List(origins.into_iter().map(Into::into).collect()),
            ..Cors::any()
        }
    }

    /// Allows credentials (cookies, authorization headers).
    pub fn with_credentials(mut self, credentials: bool) -> Self {
        self.credentials = credentials;
        self
    }

    fn allow_origin(&self, origin: Option<&str>) -> Option<String> {
        match (&self.origins, origin) {
            (AllowedOrigins::Any, Some(o)) if self.credentials => Some(o.to_owned()),
            (AllowedOrigins::Any, _) => Some("*".to_owned()),
            (AllowedOrigins::List(list), Some(o)) if list.iter().any(|a| a == o) => {
                Some(o.to_owned())
            }
            (AllowedOrigins::List(_), _) => None,
        }
    }

    /// The headers of an ordinary (non-preflight) response to a request from `origin`.
    pub fn headers(&self, origin: Option<&str>) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let reflected = !matches!(self.origins, AllowedOrigins::Any) || self.credentials;
        let Some(allow) = self.allow_origin(origin) else {
            if reflected {
                out.push(("vary", "Origin".to_owned()));
            }
            return out;
        };
        out.push(("access-control-allow-origin", allow));
        if reflected {
            out.push(("vary", "Origin".to_owned()));
        }
        if self.credentials {
            out.push(("access-control-allow-credentials", "true".to_owned()));
        }
        out
    }

    /// The headers of a preflight (`OPTIONS`) response, answered with 204.
    pub fn preflight_headers(
        &self,
        origin: Option<&str>,
        request_headers: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        let mut out = self.headers(origin);
        if out
            .iter()
            .all(|(name, _)| *name != "access-control-allow-origin")
        {
            return out;
        }
        out.push(("access-control-allow-methods", self.methods.clone()));
        match (&self.allowed_headers, request_headers) {
            (Some(h), _) => out.push(("access-control-allow-headers", h.clone())),
            (None, Some(h)) => {
                out.push(("access-control-allow-headers", h.to_owned()));
                out.push(("vary", "Access-Control-Request-Headers".to_owned()));
            }
            (None, None) => {}
        }
        if let Some(age) = self.max_age {
            out.push(("access-control-max-age", age.to_string()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(h: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        h.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn any_origin() {
        let h = Cors::any().headers(None);
        assert_eq!(get(&h, "access-control-allow-origin"), Some("*"));
        let h = Cors::any()
            .with_credentials(true)
            .headers(Some("http://x.test"));
        assert_eq!(
            get(&h, "access-control-allow-origin"),
            Some("http://x.test")
        );
        assert_eq!(get(&h, "access-control-allow-credentials"), Some("true"));
    }

    #[test]
    fn listed_origins() {
        let cors = Cors::origins(["http://a.test"]);
        let ok = cors.headers(Some("http://a.test"));
        assert_eq!(
            get(&ok, "access-control-allow-origin"),
            Some("http://a.test")
        );
        assert_eq!(get(&ok, "vary"), Some("Origin"));
        let refused = cors.headers(Some("http://b.test"));
        assert_eq!(get(&refused, "access-control-allow-origin"), None);
        assert!(cors.preflight_headers(Some("http://b.test"), None).len() == 1);
    }

    #[test]
    fn preflight() {
        let h = Cors::any().preflight_headers(Some("http://x.test"), Some("content-type"));
        assert_eq!(
            get(&h, "access-control-allow-methods"),
            Some("GET,HEAD,PUT,PATCH,POST,DELETE")
        );
        assert_eq!(
            get(&h, "access-control-allow-headers"),
            Some("content-type")
        );
    }
}
