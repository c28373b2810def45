//! The files a run writes (`--summary-json`, `--report`): checked before the run, so a path
//! that cannot be written is refused at once rather than after an hour of load, and written at
//! the end with a fallback in the temp directory, so that no figure is lost to a full disk.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use crate::exit::{Exit, Failure};

/// Refuses (exit 3) an output path whose directory is missing or that cannot be opened for
/// writing. hls-swarm creates no directories; a file the check creates is removed again.
pub fn check_writable(path: &Path, what: &str) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Failure::new(
            Exit::Config,
            format!(
                "cannot write the {what} to {}: the directory {} does not exist (hls-swarm \
                 creates none): create it, or choose another path",
                path.display(),
                dir.display()
            ),
        ));
    }
    let existed = path.exists();
    let opened = OpenOptions::new()
        .write(true)
        .create(!existed)
        .truncate(false)
        .open(path);
    match opened {
        Ok(_) => {
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(Failure::caused_by(
            Exit::Config,
            format!(
                "cannot write the {what} to {}: choose a path you can write",
                path.display()
            ),
            e,
        )),
    }
}

/// Writes `contents` to `path` and says so; when that fails (a full disk, a path gone since the
/// check), writes them to the temp directory instead and says where, so nothing is lost. Fails
/// only when both writes fail.
pub fn write_or_keep(path: &Path, contents: &[u8], what: &str) -> Result<(), Failure> {
    let error = match std::fs::write(path, contents) {
        Ok(()) => {
            eprintln!("hls-swarm: {what} written to {}", path.display());
            return Ok(());
        }
        Err(e) => e,
    };
    let kept = fallback_path(path, what);
    match std::fs::write(&kept, contents) {
        Ok(()) => {
            eprintln!(
                "hls-swarm: cannot write the {what} to {} ({error}): it is in {} instead",
                path.display(),
                kept.display()
            );
            Ok(())
        }
        Err(also) => Err(Failure::caused_by(
            Exit::Runtime,
            format!(
                "cannot write the {what} to {} ({error}), nor to {}: free some space and run \
                 again",
                path.display(),
                kept.display()
            ),
            also,
        )),
    }
}

/// `$TMPDIR/hls-swarm-<what>-<pid>.<the path's extension>`.
fn fallback_path(path: &Path, what: &str) -> PathBuf {
    let slug: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    std::env::temp_dir().join(format!("hls-swarm-{slug}-{}{ext}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_refused_and_nothing_is_created() {
        let err =
            check_writable(Path::new("/nonexistent-dir/x/summary.json"), "summary").unwrap_err();
        assert_eq!(err.exit, Exit::Config);
        assert!(err.message.contains("does not exist"), "{}", err.message);
        assert!(!Path::new("/nonexistent-dir").exists());
    }

    #[test]
    fn a_writable_path_passes_and_leaves_no_file_behind() {
        let path =
            std::env::temp_dir().join(format!("hls-swarm-check-{}.json", std::process::id()));
        check_writable(&path, "summary").unwrap();
        assert!(!path.exists(), "the check left {} behind", path.display());
    }

    #[test]
    fn a_full_disk_keeps_the_output_in_the_temp_directory() {
        write_or_keep(Path::new("/dev/full"), b"{\"kept\":1}\n", "unit summary").unwrap();
        let kept = fallback_path(Path::new("/dev/full"), "unit summary");
        assert_eq!(std::fs::read(&kept).unwrap(), b"{\"kept\":1}\n");
        let _ = std::fs::remove_file(kept);
    }
}
