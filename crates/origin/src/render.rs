//! Rendering the loop once with ffmpeg into a parameter-keyed cache directory: [`render`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::config::OriginConfig;
use crate::error::OriginError;
use crate::faults::fnv1a;
use crate::rendition::Rendition;

/// Bump when the ffmpeg command changes, so old caches are not reused.
const RENDER_VERSION: u32 = 2;

/// Name of the file written last into a finished render directory.
const DONE_MARKER: &str = "done";

/// Renders the test loop with ffmpeg (or finds it in the cache) and reads it into memory.
///
/// The cache directory is `<cache root>/origin-<hash>/` where the hash covers the render
/// parameters (`segment_secs`, `loop_secs`, `fps`, `variants`) and the render recipe's
/// version; see [`OriginConfig::cache_dir`] for the root. A render goes to a private
/// temporary directory which is renamed into place when complete, so concurrent renders
/// (two test binaries, two `hls-swarm` processes) never see a half-written loop: the
/// loser of the rename race discards its copy and uses the winner's.
///
/// The picture is ffmpeg's `testsrc2` pattern with the variant name, loop time and frame
/// number burnt in (falling back to the bare pattern if ffmpeg's `drawtext` has no font),
/// with a 440 Hz tone that beeps every second; H.264 Main (libx264 `veryfast`, a keyframe
/// at every segment start) and AAC-LC, in MPEG-TS segments. Two loops and one segment are
/// encoded and the second loop is kept (see [`Rendition::load`]). About 5 s for the
/// default configuration on 2 cores; a cached load takes milliseconds.
pub async fn render(cfg: &OriginConfig) -> Result<Rendition, OriginError> {
    cfg.validate()?;
    let dir = render_dir(cfg);
    if !dir.join(DONE_MARKER).is_file() {
        render_into_cache(cfg, &dir).await?;
    }
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || Rendition::load(&dir, &cfg))
        .await
        .map_err(|e| OriginError::BadRender {
            path: PathBuf::new(),
            reason: format!("loading task failed: {e}"),
        })?
}

/// The directory a render of `cfg` lives in (whether or not it exists yet).
pub fn render_dir(cfg: &OriginConfig) -> PathBuf {
    cache_root(cfg).join(format!("origin-{:016x}", cache_key(cfg)))
}

fn cache_root(cfg: &OriginConfig) -> PathBuf {
    if let Some(dir) = &cfg.cache_dir {
        return dir.clone();
    }
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let home = || std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache"));
    match xdg.or_else(home) {
        Some(base) => base.join("hls-swarm"),
        None => std::env::temp_dir().join("hls-swarm-cache"),
    }
}

fn cache_key(cfg: &OriginConfig) -> u64 {
    let key = format!(
        "render-v{RENDER_VERSION};seg={};loop={};fps={};variants={:?}",
        cfg.segment_secs, cfg.loop_secs, cfg.fps, cfg.variants
    );
    fnv1a(key.as_bytes())
}

async fn render_into_cache(cfg: &OriginConfig, dir: &Path) -> Result<(), OriginError> {
    let root = dir.parent().unwrap_or(dir);
    let cache_err = |path: &Path| {
        let path = path.to_owned();
        move |source| OriginError::CacheDir { path, source }
    };
    std::fs::create_dir_all(root).map_err(cache_err(root))?;
    let tmp = root.join(format!(
        ".{}.tmp-{}-{:08x}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("origin"),
        std::process::id(),
        fastrand::u32(..)
    ));
    let result = render_into(cfg, &tmp).await;
    let result = result.and_then(|()| match std::fs::rename(&tmp, dir) {
        Ok(()) => Ok(()),
        // Someone else finished first: theirs is as good as ours.
        Err(_) if dir.join(DONE_MARKER).is_file() => Ok(()),
        Err(e) => Err(OriginError::CacheDir {
            path: dir.to_owned(),
            source: e,
        }),
    });
    if tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

async fn render_into(cfg: &OriginConfig, tmp: &Path) -> Result<(), OriginError> {
    for idx in 0..cfg.variants.len() {
        let vdir = tmp.join(format!("v{idx}"));
        std::fs::create_dir_all(&vdir).map_err(|source| OriginError::CacheDir {
            path: vdir.clone(),
            source,
        })?;
    }
    // drawtext needs a font through fontconfig; without one, render the bare pattern.
    if let Err(first) = run_ffmpeg(cfg, &ffmpeg_args(cfg, tmp, true)).await {
        if matches!(first, OriginError::FfmpegNotFound { .. }) {
            return Err(first);
        }
        run_ffmpeg(cfg, &ffmpeg_args(cfg, tmp, false)).await?;
    }
    let params = format!(
        "rendered by hls-swarm-origin (recipe v{RENDER_VERSION})\nsegment_secs={}\nloop_secs={}\nfps={}\nvariants={:?}\n",
        cfg.segment_secs, cfg.loop_secs, cfg.fps, cfg.variants
    );
    std::fs::write(tmp.join(DONE_MARKER), params).map_err(|source| OriginError::CacheDir {
        path: tmp.join(DONE_MARKER),
        source,
    })
}

async fn run_ffmpeg(cfg: &OriginConfig, args: &[OsString]) -> Result<(), OriginError> {
    let child = tokio::process::Command::new(&cfg.ffmpeg)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                OriginError::FfmpegNotFound {
                    path: cfg.ffmpeg.clone(),
                }
            }
            _ => OriginError::FfmpegFailed {
                status: "not started".into(),
                stderr_tail: e.to_string(),
            },
        })?;
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| OriginError::FfmpegFailed {
            status: "wait failed".into(),
            stderr_tail: e.to_string(),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    Err(OriginError::FfmpegFailed {
        status: out.status.to_string(),
        stderr_tail: lines[lines.len().saturating_sub(5)..].join(" | "),
    })
}

/// The ffmpeg arguments rendering every variant of `cfg` into `out` in one process.
pub(crate) fn ffmpeg_args(cfg: &OriginConfig, out: &Path, burn_in_text: bool) -> Vec<OsString> {
    let seg = cfg.segment_secs;
    // Two loops and one segment: `Rendition::load` keeps the second loop, and the extra
    // segment makes the second loop's last segment end at a keyframe cut like the others.
    let secs = 2 * cfg.loop_secs + seg;
    let gop = cfg.fps * seg;
    let (max_w, max_h) = cfg
        .variants
        .iter()
        .map(|v| (v.width, v.height))
        .max()
        .unwrap_or((640, 360));
    let n = cfg.variants.len();
    let mut graph = format!(
        "testsrc2=size={max_w}x{max_h}:rate={}:duration={secs},split={n}",
        cfg.fps
    );
    for idx in 0..n {
        graph.push_str(&format!("[s{idx}]"));
    }
    for (idx, v) in cfg.variants.iter().enumerate() {
        graph.push_str(&format!(";[s{idx}]scale={}:{}", v.width, v.height));
        if burn_in_text {
            graph.push_str(&format!(
                ",drawtext=text='v{idx} {}x{} %{{pts\\:hms}} #%{{n}}':x=8:y=8:fontsize={}:fontcolor=white:box=1:boxcolor=black@0.6",
                v.width,
                v.height,
                (v.height / 12).max(8)
            ));
        }
        graph.push_str(&format!("[v{idx}]"));
    }
    let mut args: Vec<String> = vec![
        "-hide_banner".into(),
        "-nostdin".into(),
        "-loglevel".into(),
        "error".into(),
        "-y".into(),
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        format!("sine=frequency=440:beep_factor=4:sample_rate=48000:duration={secs}"),
        "-filter_complex".into(),
        graph,
    ];
    for (idx, v) in cfg.variants.iter().enumerate() {
        let vdir = out.join(format!("v{idx}"));
        args.extend([
            "-map".into(),
            format!("[v{idx}]"),
            "-map".into(),
            "0:a".into(),
            "-c:v".into(),
            "libx264".into(),
            "-preset".into(),
            "veryfast".into(),
            "-profile:v".into(),
            "main".into(),
            "-level:v".into(),
            "3.1".into(),
            "-pix_fmt".into(),
            "yuv420p".into(),
            "-b:v".into(),
            format!("{}k", v.video_kbps),
            "-maxrate".into(),
            format!("{}k", v.video_kbps),
            "-bufsize".into(),
            format!("{}k", 2 * v.video_kbps),
            "-g".into(),
            gop.to_string(),
            "-keyint_min".into(),
            gop.to_string(),
            "-sc_threshold".into(),
            "0".into(),
            "-force_key_frames".into(),
            format!("expr:gte(t,n_forced*{seg})"),
            "-c:a".into(),
            "aac".into(),
            "-b:a".into(),
            format!("{}k", v.audio_kbps),
            "-ac".into(),
            "2".into(),
            "-ar".into(),
            "48000".into(),
            "-f".into(),
            "hls".into(),
            "-hls_time".into(),
            seg.to_string(),
            "-hls_list_size".into(),
            "0".into(),
            "-hls_segment_filename".into(),
            vdir.join("seg%05d.ts").to_string_lossy().into_owned(),
            vdir.join("index.m3u8").to_string_lossy().into_owned(),
        ]);
    }
    args.into_iter().map(OsString::from).collect()
}
