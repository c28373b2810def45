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
