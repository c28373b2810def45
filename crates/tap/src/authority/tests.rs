//! Tests of host keys, URL pieces and the origin-form rewrite.

use super::*;

#[test]
fn host_port_is_lower_case_with_the_port_written() {
    assert_eq!(
        host_port("Origin.Example", 80).as_deref(),
        Some("origin.example:80")
    );
    assert_eq!(
        host_port("127.0.0.1:8080", 80).as_deref(),
        Some("127.0.0.1:8080")
    );
    assert_eq!(host_port("user:pw@cdn:81", 80).as_deref(), Some("cdn:81"));
    assert_eq!(host_port("[::1]:9000", 80).as_deref(), Some("[::1]:9000"));
    assert_eq!(host_port("[::1]", 443).as_deref(), Some("[::1]:443"));
    assert_eq!(host_port("h:1", 80).as_deref(), Some("h:1"));
    assert_eq!(host_port("h:0065535", 80).as_deref(), Some("h:65535"));
    assert_eq!(host_port("H:10", 80).as_deref(), Some("h:10"));
    assert_eq!(host_port("cdn:", 80).as_deref(), Some("cdn:80"));
    for bad in [
        "",
        ":80",
        "cdn:http",
        "cdn:0",
        "cdn:70000",
        "a b:80",
        "[::1",
        "[]:80",
        "cdn/x:80",
    ] {
        assert_eq!(host_port(bad, 80), None, "{bad:?}");
    }
}

#[test]
fn urls_split_into_scheme_authority_and_rest() {
    let p = UrlParts::split("HTTPS://Cdn.Example/live/index.m3u8?t=1#frag").unwrap();
    assert!(p.https);
    assert_eq!(
        (p.authority, p.rest),
        ("Cdn.Example", "/live/index.m3u8?t=1")
    );
    assert_eq!(p.host_port().as_deref(), Some("cdn.example:443"));
    let p = UrlParts::split("http://h:8080").unwrap();
    assert_eq!((p.authority, p.rest), ("h:8080", "/"));
    let p = UrlParts::split("http://h?x=1").unwrap();
    assert_eq!((p.authority, p.rest), ("h", "?x=1"));
    for bad in ["ftp://h/x", "http:///x", "h/x", "data:,x"] {
        assert!(UrlParts::split(bad).is_none(), "{bad:?}");
    }
    assert_eq!(
        resource_key("http://H:80/a/b.ts?q").as_deref(),
        Some("h:80/a/b.ts?q")
    );
    assert_eq!(resource_key("http://h/a").as_deref(), Some("h:80/a"));
}

#[test]
fn absolute_form_is_rewritten_to_origin_form() {
    let uri: Uri = "http://127.0.0.1:8080/v0/seg00001.ts?token=a%20b"
        .parse()
        .unwrap();
    let target = ProxyTarget::of(&uri).unwrap();
    assert_eq!(target.host_port, "127.0.0.1:8080");
    assert_eq!(
        target.origin_form().to_string(),
        "/v0/seg00001.ts?token=a%20b"
    );
    assert_eq!(target.key(), "127.0.0.1:8080/v0/seg00001.ts?token=a%20b");
    assert!(target.origin_form().authority().is_none() && target.origin_form().scheme().is_none());

    let bare: Uri = "http://Origin".parse().unwrap();
    let target = ProxyTarget::of(&bare).unwrap();
    assert_eq!(
        (
            target.host_port.as_str(),
            target.origin_form().to_string().as_str()
        ),
        ("origin:80", "/")
    );

    // Origin form (a client taking the tap for the origin), https, and authority form are not
    // proxy requests for this path.
    for not_proxy in ["/v0/index.m3u8", "https://h/x", "h:443"] {
        let uri: Uri = not_proxy.parse().unwrap();
        assert_eq!(ProxyTarget::of(&uri), None, "{not_proxy}");
    }
}
