//! Unit tests of reading ffmpeg's VOD playlist.

use super::parse_vod_playlist;

#[test]
fn reads_ffmpeg_vod_playlists() {
    let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n\
                #EXTINF:1.000000,\nseg00000.ts\n#EXTINF:0.960000,\nseg00001.ts\n#EXT-X-ENDLIST\n";
    assert_eq!(
        parse_vod_playlist(text),
        vec![(1.0, "seg00000.ts".into()), (0.96, "seg00001.ts".into())]
    );
}
