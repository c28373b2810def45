//! Tidy checks on the source tree itself: file headers, the atomics facade, the README's commands.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(hls_swarm_testkit::tree::rust_files(dir));
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["src", "crates", "xtask", "benches", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 20, "found only {} Rust files", files.len());
    files
}

#[test]
fn every_rust_file_opens_with_a_module_doc_line() {
    let missing: Vec<_> = all_rust_files()
        .into_iter()
        .filter(|p| {
            let text = fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading `//!` line: {missing:?}"
    );
}

#[test]
fn stats_atomics_are_held_to_the_sync_facade_by_clippy() {
    // Loom can only check atomics it sees: clippy's `disallowed-types` rejects every std atomic
    // type in crates/stats (its own clippy.toml), and only sync.rs, the facade, may allow them.
    let config = fs::read_to_string(root().join("crates/stats/clippy.toml"))
        .expect("crates/stats/clippy.toml exists");
    let unlisted: Vec<_> = [
        "AtomicBool",
        "AtomicI8",
        "AtomicI16",
        "AtomicI32",
        "AtomicI64",
        "AtomicIsize",
        "AtomicU8",
        "AtomicU16",
        "AtomicU32",
        "AtomicU64",
        "AtomicUsize",
        "AtomicPtr",
    ]
    .into_iter()
    .filter(|ty| !config.contains(&format!("path = \"std::sync::atomic::{ty}\"")))
    .collect();
    assert!(
        unlisted.is_empty(),
        "crates/stats/clippy.toml does not disallow {unlisted:?}"
    );
    let mut files = Vec::new();
    rust_files(&root().join("crates/stats"), &mut files);
    let allowing: Vec<_> = files
        .into_iter()
        .filter(|p| !p.ends_with("crates/stats/src/sync.rs"))
        .filter(|p| {
            let text = fs::read_to_string(p).unwrap_or_default();
            text.contains("disallowed_types")
        })
        .collect();
    assert!(
        allowing.is_empty(),
        "std atomics allowed outside crates/stats/src/sync.rs: {allowing:?}"
    );
}

#[test]
fn parse_and_stats_do_not_depend_on_tokio() {
    for krate in ["parse", "stats"] {
        let manifest = fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml"))
            .expect("manifest readable");
        assert!(
            !manifest.contains("tokio"),
            "crates/{krate} must stay free of tokio"
        );
    }
}

#[test]
fn readme_shows_the_two_commands_and_ci_calls_xtask() {
    let readme = fs::read_to_string(root().join("README.md")).expect("README.md exists");
    assert!(readme.contains("cargo xtask demo"));
    assert!(readme.contains("cargo xtask ci"));
    let ci = fs::read_to_string(root().join(".ci/run")).expect(".ci/run exists");
    let commands: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !l.starts_with("set ") && !l.starts_with("cd "))
        .collect();
    assert_eq!(
        commands,
        ["exec cargo xtask ci"],
        ".ci/run only calls xtask"
    );
}

#[test]
fn docs_exist() {
    for doc in ["docs/ARCHITECTURE.md", "docs/PERFORMANCE.md", "README.md"] {
        let text = fs::read_to_string(root().join(doc)).unwrap_or_default();
        assert!(text.len() > 500, "{doc} is missing or nearly empty");
    }
}
