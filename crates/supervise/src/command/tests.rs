//! Tests for `command`: argument building per capability set, resolve, quoting.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;

use super::*;

fn strings(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_str().unwrap().to_owned())
        .collect()
}

fn has_pair(args: &[String], key: &str, value: &str) -> bool {
    args.windows(2).any(|w| w[0] == key && w[1] == value)
}

fn config() -> FfmpegConfig {
    let mut config = FfmpegConfig::new("http://origin.test:8080/live/master.m3u8?x=1");
    config.user_agent = "ua/1".to_owned();
    config
}

#[test]
fn ffmpeg_5_1_gets_neither_datetime_nor_seg_max_retry() {
    let args = strings(&config().build_args(&Capabilities::ffmpeg_5_1(), 3));
    assert!(has_pair(&args, "-loglevel", "repeat+level+debug"));
    assert!(!args.iter().any(|a| a == "-seg_max_retry"));
    assert!(!args.iter().any(|a| a.contains("datetime")));
    for opt in [
        "-reconnect",
        "-reconnect_streamed",
        "-reconnect_on_network_error",
    ] {
        assert!(has_pair(&args, opt, "1"), "{opt} missing");
    }
    assert!(has_pair(&args, "-reconnect_delay_max", "5"));
}

#[test]
fn newer_ffmpeg_gets_datetime_and_seg_max_retry_in_a_fixed_order() {
    let args = strings(&config().build_args(&Capabilities::all(), 7));
    let expected = [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "repeat+level+datetime+debug",
        "-progress",
        "pipe:3",
        "-stats_period",
        "1",
        "-reconnect",
        "1",
        "-reconnect_streamed",
        "1",
        "-reconnect_on_network_error",
        "1",
        "-reconnect_delay_max",
        "5",
        "-rw_timeout",
        "15000000",
        "-user_agent",
        "ua/1/client-7",
        "-seg_max_retry",
        "3",
        "-i",
        "http://origin.test:8080/live/master.m3u8?x=1",
        "-map",
        "0",
        "-c",
        "copy",
        "-f",
        "null",
        "-",
    ];
    assert_eq!(args, expected);
}

#[test]
fn every_viewer_including_zero_gets_its_own_user_agent() {
    let config = config();
    let caps = Capabilities::ffmpeg_5_1();
    for viewer in [0, 1, 42] {
        let args = strings(&config.build_args(&caps, viewer));
        assert!(has_pair(
            &args,
            "-user_agent",
            &format!("ua/1/client-{viewer}")
        ));
    }
}

#[test]
fn reconnect_off_and_unsupported_options_are_left_out() {
    let mut config = config();
    config.reconnect = false;
    let args = strings(&config.build_args(&Capabilities::all(), 0));
    assert!(!args.iter().any(|a| a.starts_with("-reconnect")));

    let caps = Capabilities {
        http_reconnect_on_network_error: false,
        ..Capabilities::ffmpeg_5_1()
    };
    let args = strings(&self::config().build_args(&caps, 0));
    assert!(has_pair(&args, "-reconnect", "1"));
    assert!(!args.iter().any(|a| a == "-reconnect_on_network_error"));
}

#[test]
fn variant_maps() {
    let caps = Capabilities::ffmpeg_5_1();
    let mut config = config();
    let map_of = |config: &FfmpegConfig| {
        let args = strings(&config.build_args(&caps, 0));
        let i = args.iter().position(|a| a == "-c").unwrap();
        let j = args.iter().position(|a| a == "-i").unwrap();
        args[j + 2..i].join(" ")
    };
    assert_eq!(map_of(&config), "-map 0");
    config.variant = Variant::First;
    assert_eq!(map_of(&config), "-map 0:v:0? -map 0:a:0?");
    config.variant = Variant::Highest;
    assert_eq!(
        map_of(&config),
        "-map 0:v:0? -map 0:a:0?",
        "unprobed falls back to first"
    );
    config.program_id = Some(2);
    assert_eq!(map_of(&config), "-map 0:p:2");
    config.variant = Variant::Lowest;
    assert_eq!(map_of(&config), "-map 0:p:2");
}

#[test]
fn headers_are_joined_with_crlf_after_generated_ones() {
    let mut config = config();
    config.no_cache = true;
    config.headers.push(Header::parse("X-Test: 1").unwrap());
    config.resolve = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)));
    let args = strings(&config.build_args(&Capabilities::ffmpeg_5_1(), 0));
    assert!(has_pair(
        &args,
        "-headers",
        "Host: origin.test:8080\r\nCache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\nX-Test: 1\r\n"
    ));
    assert!(has_pair(
        &args,
        "-i",
        "http://10.0.0.9:8080/live/master.m3u8?x=1"
    ));
    // Plain http: ffmpeg 5.1 rejects an unconsumed -tls_verify.
    assert!(!args.iter().any(|a| a == "-tls_verify"));
}

#[test]
fn resolve_with_https_ipv6_and_userinfo() {
    let mut config = FfmpegConfig::new("https://user:pw@cdn.test/a.m3u8");
    config.resolve = Some(IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_eq!(config.effective_url(), "https://user:pw@[::1]/a.m3u8");
    assert_eq!(config.headers_value().unwrap(), "Host: cdn.test\r\n");
    let args = strings(&config.build_args(&Capabilities::ffmpeg_5_1(), 0));
    assert!(has_pair(&args, "-tls_verify", "0"));

    let mut config = FfmpegConfig::new("http://[2001:db8::1]:81");
    config.resolve = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(config.effective_url(), "http://127.0.0.1:81");
    assert_eq!(
        config.headers_value().unwrap(),
        "Host: [2001:db8::1]:81\r\n"
    );
}

#[test]
fn validate_rejects_bad_urls_user_agents_levels_and_timeouts() {
    for url in [
        "origin.test/x.m3u8",
        "ftp://h/x",
        "http:///x.m3u8",
        "http://h/a b",
    ] {
        let err = FfmpegConfig::new(url).validate().unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidUrl { .. }),
            "{url}: {err}"
        );
    }
    let mut config = config();
    config.user_agent = "ua\r\nX-Evil: 1".to_owned();
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "user agent \"ua\\r\\nX-Evil: 1\" contains a control character: use printable text only"
    );
    let mut config = self::config();
    config.loglevel = "debug+x".to_owned();
    assert!(matches!(
        config.validate(),
        Err(ConfigError::InvalidLogLevel(_))
    ));
    let mut config = self::config();
    config.timeout = Duration::ZERO;
    assert_eq!(config.validate(), Err(ConfigError::ZeroTimeout));
    assert_eq!(self::config().validate(), Ok(()));
}

#[test]
fn header_validation_errors_are_typed_and_plain() {
    assert_eq!(
        Header::parse("X-Test 1"),
        Err(HeaderError::MissingColon("X-Test 1".to_owned()))
    );
    assert_eq!(Header::parse(": v"), Err(HeaderError::EmptyName));
    assert_eq!(
        Header::parse("X Test: v"),
        Err(HeaderError::InvalidName("X Test".to_owned()))
    );
    assert_eq!(
        Header::new("X-A", "1\r\nX-B: 2"),
        Err(HeaderError::InvalidValue("X-A".to_owned()))
    );
    assert_eq!(
        Header::new("X-A\n", "1"),
        Err(HeaderError::InvalidName("X-A\n".to_owned()))
    );
    assert_eq!(
        HeaderError::InvalidValue("X-A".to_owned()).to_string(),
        "value of header \"X-A\" contains a line break or control character: a header value must be one line of text"
    );
    let ok = Header::parse("  X-Ok :\t a: b \t").unwrap();
    assert_eq!((ok.name(), ok.value()), ("X-Ok", "a: b"));
}

#[test]
fn shell_quoting_round_trips_through_sh() {
    let words = [
        "plain",
        "",
        "it's",
        "a b",
        "0:v:0?",
        "*",
        "$HOME",
        "`x`",
        "\"q\"",
        "back\\slash",
        "Host: a\r\nPragma: no-cache\r\n",
        "'''",
        "ünïcode",
    ];
    let quoted: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
    let script = format!("printf '%s\\0' {}", quoted.join(" "));
    let output = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    assert!(output.status.success());
    let back: Vec<&[u8]> = output.stdout.split(|&b| b == 0).collect();
    let back: Vec<String> = back[..back.len() - 1]
        .iter()
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .collect();
    assert_eq!(back, words);
}

#[test]
fn display_command_round_trips_through_sh() {
    let mut config = config();
    config.ffmpeg = PathBuf::from("/opt/my ffmpeg/ffmpeg");
    config.no_cache = true;
    config.headers.push(Header::parse("X-Quote: it's").unwrap());
    config.variant = Variant::First;
    let caps = Capabilities::ffmpeg_5_1();
    let line = config.display_command(&caps, 4);
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\0' {line}"))
        .output()
        .unwrap();
    let mut back: Vec<String> = output
        .stdout
        .split(|&b| b == 0)
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .collect();
    back.pop();
    let mut expected = vec![config.ffmpeg.to_string_lossy().into_owned()];
    expected.extend(strings(&config.build_args(&caps, 4)));
    assert_eq!(back, expected);
}

#[test]
fn the_options_an_ffmpeg_lacks_are_named_as_the_command_line_leaves_them_out() {
    assert_eq!(
        Capabilities::ffmpeg_5_1().missing_options(),
        ["-seg_max_retry"]
    );
    assert!(Capabilities::all().missing_options().is_empty());
    let lacking = Capabilities {
        http_proxy: false,
        http_reconnect: false,
        ..Capabilities::ffmpeg_5_1()
    };
    let mut config = config();
    config.http_proxy = Some("http://127.0.0.1:9".to_owned());
    let full = strings(&config.build_args(&Capabilities::all(), 0));
    let built = strings(&config.build_args(&lacking, 0));
    let missing = lacking.missing_options();
    assert_eq!(missing, ["-seg_max_retry", "-reconnect", "-http_proxy"]);
    for option in missing {
        assert!(full.iter().any(|a| a == option), "{option}");
        assert!(!built.iter().any(|a| a == option), "{option}");
    }
}
