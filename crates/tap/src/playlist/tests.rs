//! Tests of the playlist reader and URI resolution.

use super::*;

const MEDIA: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n\
#EXT-X-MEDIA-SEQUENCE:884\n#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\n\
#EXTINF:1.001,\nseg00884.ts\n#EXTINF:2.0,title, with comma\r\n../v1/seg00885.ts?t=1\n\
#EXT-X-DISCONTINUITY\n#EXTINF:0.5\n/abs/seg00886.ts\n\
#EXTINF:1.5,\nhttp://CDN.example:8081/x/seg00887.ts\n\
#EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.example/k\",IV=0x1\n\
#EXTINF:bogus,\nseg-no-duration.ts\nuntimed.ts\n";

#[test]
fn media_playlists_give_each_segment_its_extinf_duration() {
    let facts = read_playlist(
        "http://127.0.0.1:8080/v0/index.m3u8?session=1",
        MEDIA.as_bytes(),
    );
    let secs = |s: f64| Duration::from_secs_f64(s);
    assert_eq!(
        facts.segments,
        [
            ("127.0.0.1:8080/v0/seg00884.ts".to_owned(), secs(1.001)),
            ("127.0.0.1:8080/v1/seg00885.ts?t=1".to_owned(), secs(2.0)),
            ("127.0.0.1:8080/abs/seg00886.ts".to_owned(), secs(0.5)),
            ("cdn.example:8081/x/seg00887.ts".to_owned(), secs(1.5)),
        ]
    );
    assert_eq!(facts.init, ["127.0.0.1:8080/v0/init.mp4"]);
    let hosts: Vec<&str> = facts.hosts.iter().map(String::as_str).collect();
    assert_eq!(
        hosts,
        ["127.0.0.1:8080", "cdn.example:8081", "keys.example:443"]
    );
}

#[test]
fn master_playlists_name_hosts_and_no_segments() {
    let master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.4d401f,mp4a.40.2\"\n\
        v0/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=250000\nhttp://edge2.example/v1/index.m3u8\n\
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"//edge3.example:8443/a.m3u8\"\n\
        #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"iframes.m3u8\"\n";
    let facts = read_playlist("https://origin.example/live/master.m3u8", master.as_bytes());
    assert!(facts.segments.is_empty() && facts.init.is_empty());
    let hosts: Vec<&str> = facts.hosts.iter().map(String::as_str).collect();
    assert_eq!(
        hosts,
        [
            "edge2.example:80",
            "edge3.example:8443",
            "origin.example:443"
        ]
    );
}

#[test]
fn relative_uris_resolve_as_rfc_3986_says() {
    let base = "http://a/b/c/d;p?q";
    // The normal examples of RFC 3986 §5.4.1 that an http URL can take.
    let cases = [
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g/"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("g#s", "http://a/b/c/g"),
        (";x", "http://a/b/c/;x"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        ("g/../h", "http://a/b/c/h"),
        ("HTTP://other:81/x/../y", "http://other:81/y"),
    ];
    for (reference, want) in cases {
        assert_eq!(
            resolve(base, reference).as_deref(),
            Some(want),
            "{reference}"
        );
    }
    for none in ["", "#only", "data:text/plain,x", "skd://key", "ftp://h/x"] {
        assert_eq!(resolve(base, none), None, "{none}");
    }
    assert_eq!(resolve("not a url", "g"), None);
}

#[test]
fn attribute_lists_are_read_with_quotes() {
    let list = "METHOD=AES-128,KEYFORMATURI=\"no\",URI=\"a,b=c\",IV=0x1";
    assert_eq!(attribute(list, "URI"), Some("a,b=c"));
    assert_eq!(attribute(list, "IV"), Some("0x1"));
    assert_eq!(attribute(list, "METHOD"), Some("AES-128"));
    assert_eq!(attribute(list, "NONE"), None);
    assert_eq!(attribute("URI=\"unterminated", "URI"), None);
    assert_eq!(attribute("", "URI"), None);
}

#[test]
fn no_input_panics() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let alphabet = b"#EXTINF:-1.5e309,\n\r/.?:=\"URI=MAPhttp://[]@%x ";
    for _ in 0..2000 {
        let len = (seed % 200) as usize;
        let mut bytes = Vec::with_capacity(len);
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let pick = (seed % (alphabet.len() as u64 + 8)) as usize;
            bytes.push(
                alphabet
                    .get(pick)
                    .copied()
                    .unwrap_or((pick as u8).wrapping_mul(37)),
            );
        }
        let _ = read_playlist("http://h/p/x.m3u8", &bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = resolve("http://h/p/x.m3u8", &text);
        let _ = resolve(&text, "g");
    }
    let huge = "#EXTINF:1e400,\nx.ts\n#EXTINF:-1,\ny.ts\n#EXTINF:NaN,\nz.ts\n";
    assert!(
        read_playlist("http://h/x.m3u8", huge.as_bytes())
            .segments
            .is_empty()
    );
}
