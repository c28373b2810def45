//! The `/proc` reader on this very process and on a stat line with an awkward command name.

use super::*;

#[test]
fn stat_of_this_process_parses() {
    let s = stat(std::process::id()).expect("own /proc/<pid>/stat");
    // The harness's main thread waits for this one: sleeping or running, never a zombie.
    assert!(matches!(s.state, 'S' | 'R'), "state {}", s.state);
    assert!(s.utime + s.stime < 1_000_000);
    assert!(is_running(std::process::id()));
    assert!(pids().contains(&std::process::id()));
}

#[test]
fn the_command_name_may_hold_spaces_and_parentheses() {
    let line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 11 13 20 0 1 0 1 0 0";
    let s = Stat::parse(line).unwrap();
    assert_eq!((s.state, s.ppid, s.pgrp), ('S', 1, 4242));
    assert_eq!((s.utime, s.stime, s.cutime, s.cstime), (7, 3, 11, 13));
    assert!(!s.is_zombie());
    assert_eq!(Stat::parse("4242 (x) Z"), None);
}

#[test]
fn a_child_is_found_by_its_command_line_and_its_group() {
    let mut child = std::process::Command::new("sleep")
        .arg("30.123456")
        .spawn()
        .unwrap();
    let pid = child.id();
    // Until the child has exec'd, its command line is still this test's.
    let found = crate::poll::until_some(std::time::Duration::from_secs(10), || {
        Some(with_cmdline("30.123456")).filter(|f| !f.is_empty())
    });
    let group = stat(pid).unwrap().pgrp;
    let grouped = in_groups(&[group]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(found, Some(vec![pid]));
    assert!(grouped.contains(&pid), "{grouped:?}");
    assert!(stat(pid).is_none(), "reaped, so gone");
    assert!(!in_groups(&[group]).contains(&pid));
}
