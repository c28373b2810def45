//! Finding tools, and the message when one is missing.

use super::*;

#[test]
fn a_present_tool_is_found_and_a_missing_one_says_how_to_install_it() {
    assert_eq!(require_on_path("sh", "dash").file_name().unwrap(), "sh");
    assert!(require_tool("/bin/sh", "dash").is_file());
    let panic =
        std::panic::catch_unwind(|| require_tool("/nonexistent/tool", "tool-pkg")).unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.starts_with("/nonexistent/tool not found: run `cargo xtask deps`")
            && text.contains("Debian package tool-pkg"),
        "{text}"
    );
}

#[test]
fn the_venv_ffmpeg_is_found_where_the_wheel_puts_it_and_nowhere_else() {
    let venv = crate::Scratch::new("venv-ffmpeg");
    assert_eq!(ffmpeg_in_venv(&venv), None);
    let binaries = venv.join("lib/python3.11/site-packages/imageio_ffmpeg/binaries");
    std::fs::create_dir_all(&binaries).unwrap();
    std::fs::write(binaries.join("README.md"), "").unwrap();
    std::fs::write(binaries.join("__init__.py"), "").unwrap();
    assert_eq!(ffmpeg_in_venv(&venv), None, "only ffmpeg-* files count");
    let exe = binaries.join("ffmpeg-linux-x86_64-v9.0.2");
    std::fs::write(&exe, "").unwrap();
    assert_eq!(ffmpeg_in_venv(&venv), Some(exe));
}
