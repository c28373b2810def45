//! Tests for `variant`: ffprobe JSON, selection, the sibling ffprobe.

use super::*;

const JSON: &str = r#"{
  "programs": [
    { "program_id": 0, "program_num": 0, "nb_streams": 2, "tags": { "variant_bitrate": "1400000" }, "streams": [] },
    { "program_id": 1, "program_num": 1, "nb_streams": 2, "tags": { "variant_bitrate": "350000" }, "streams": [] },
    { "program_id": 2, "program_num": 2, "nb_streams": 2, "tags": { "variant_bitrate": "junk" }, "streams": [] }
  ]
}"#;

#[test]
fn parses_and_sorts_programs_by_bitrate() {
    let programs = parse_programs(JSON.as_bytes()).unwrap();
    let got: Vec<(u32, u64)> = programs
        .iter()
        .map(|p| (p.program_id, p.variant_bitrate))
        .collect();
    assert_eq!(got, [(2, 0), (1, 350_000), (0, 1_400_000)]);
    assert_eq!(Variant::Highest.select(&programs), Some(0));
    assert_eq!(Variant::Lowest.select(&programs), Some(2));
    assert_eq!(Variant::All.select(&programs), None);
    assert_eq!(Variant::First.select(&programs), None);
}

#[test]
fn empty_or_bad_output_is_an_error() {
    assert!(matches!(
        parse_programs(br#"{"programs": []}"#),
        Err(VariantProbeError::NoPrograms)
    ));
    assert!(matches!(
        parse_programs(b"{}"),
        Err(VariantProbeError::Json(_))
    ));
    assert!(matches!(
        parse_programs(b"not json"),
        Err(VariantProbeError::Json(_))
    ));
}

#[test]
fn ffprobe_is_the_sibling_when_it_exists() {
    assert_eq!(
        ffprobe_for(Path::new("/usr/bin/ffmpeg")),
        Path::new("/usr/bin/ffprobe")
    );
    assert_eq!(ffprobe_for(Path::new("ffmpeg")), Path::new("ffprobe"));
    assert_eq!(
        ffprobe_for(Path::new("/nonexistent/ffmpeg")),
        Path::new("ffprobe")
    );
}
