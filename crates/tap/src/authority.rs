//! Hosts as the tap keys them (`host:port`, lower case, the port always written), URL pieces,
//! and the absolute-form to origin-form rewrite of a request target.

use hyper::Uri;
use hyper::http::uri::PathAndQuery;

/// The port an `http://` URL means when it names none.
pub(crate) const HTTP_PORT: u16 = 80;
/// The port an `https://` URL means when it names none.
pub(crate) const HTTPS_PORT: u16 = 443;

/// `host:port` of an authority (`user@host:port`, `[v6]:port`), the host in lower case and
/// `default_port` written when none is; `None` when there is no host, the port is not a number
/// of 1..=65535, or the host holds a character no host name or address has.
pub(crate) fn host_port(authority: &str, default_port: u16) -> Option<String> {
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (&authority[..v6.len() + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => default_port,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
    };
    let host_ok = !host.is_empty()
        && host != "[]"
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:[]%~".contains(&b));
    if !host_ok || port == 0 {
        return None;
    }
    // Built by hand: this runs on every request, and `format!` costs more than the rest.
    let mut key = String::with_capacity(host.len() + 6);
    key.push_str(host);
    key.make_ascii_lowercase();
    key.push(':');
    push_decimal(&mut key, port);
    Some(key)
}

/// Appends `n` in decimal to `out`.
fn push_decimal(out: &mut String, n: u16) {
    let mut digits = [0u8; 5];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// An absolute `http://` or `https://` URL cut in three: whether it is https, its authority,
/// and the rest (path, query; no fragment), `/` when empty.
pub(crate) struct UrlParts<'a> {
    /// `https://` rather than `http://`.
    pub(crate) https: bool,
    /// `host[:port]` as written (userinfo included when written).
    pub(crate) authority: &'a str,
    /// Path and query, starting with `/` (or `?`, when the URL has a query and no path).
    pub(crate) rest: &'a str,
}

impl<'a> UrlParts<'a> {
    /// Splits `url`; `None` unless it is an `http://` or `https://` URL (any case) with a host.
    pub(crate) fn split(url: &'a str) -> Option<UrlParts<'a>> {
        let (scheme, after) = url.split_once("://")?;
        let https = if scheme.eq_ignore_ascii_case("http") {
            false
        } else if scheme.eq_ignore_ascii_case("https") {
            true
        } else {
            return None;
        };
        let after = after.split('#').next().unwrap_or_default();
        let end = after.find(['/', '?']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        if authority.is_empty() {
            return None;
        }
        let rest = if rest.is_empty() { "/" } else { rest };
        Some(UrlParts {
            https,
            authority,
            rest,
        })
    }

    /// The URL's `host:port` (see [`host_port`]).
    pub(crate) fn host_port(&self) -> Option<String> {
        host_port(
            self.authority,
            if self.https { HTTPS_PORT } else { HTTP_PORT },
        )
    }
}

/// The key under which the tap knows a resource: `host:port` then path and query
/// (`127.0.0.1:8080/v0/seg00001.ts`), or `None` for a URL that is not http(s).
pub(crate) fn resource_key(url: &str) -> Option<String> {
    let parts = UrlParts::split(url)?;
    let mut key = parts.host_port()?;
    key.push_str(parts.rest);
    Some(key)
}

/// What an absolute-form request target names: the upstream's `host:port` and the path and
/// query to send it in origin form.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ProxyTarget {
    /// `host:port`, as [`host_port`] writes it.
    pub(crate) host_port: String,
    /// Path and query in origin form (`/` when the target had none).
    pub(crate) path: PathAndQuery,
}

impl ProxyTarget {
    /// The target of a proxy request: `http://host[:port]/path?query`. `None` for an origin-form
    /// target (`/path`: a client that takes the tap for the origin), another scheme, or a bad host.
    pub(crate) fn of(uri: &Uri) -> Option<ProxyTarget> {
        if uri.scheme_str() != Some("http") {
            return None;
        }
        let host_port = host_port(uri.authority()?.as_str(), HTTP_PORT)?;
        let path = uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        Some(ProxyTarget { host_port, path })
    }

    /// The request target to send upstream: the origin form, `/path?query`.
    pub(crate) fn origin_form(&self) -> Uri {
        Uri::from(self.path.clone())
    }

    /// This target's resource key (see [`resource_key`]).
    pub(crate) fn key(&self) -> String {
        let mut key = String::with_capacity(self.host_port.len() + self.path.as_str().len());
        key.push_str(&self.host_port);
        key.push_str(self.path.as_str());
        key
    }
}

#[cfg(test)]
mod tests;
