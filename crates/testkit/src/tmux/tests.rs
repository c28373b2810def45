//! The tmux driver on a shell command: screen, keys, alternate screen, exit status.

use super::*;

#[test]
fn a_command_is_seen_typed_to_and_its_exit_status_read() {
    let tmux = Tmux::start(
        "kit",
        80,
        24,
        "printf 'hello from tmux\\n'; read answer; sh -c \"exit $answer\"",
    );
    let pane = tmux.wait_for("the greeting", Duration::from_secs(20), |p| {
        p.contains("hello from tmux")
    });
    assert!(pane.lines().count() >= 1);
    assert!(!tmux.alternate_on());
    tmux.send_keys("4");
    tmux.send_keys("Enter");
    assert_eq!(tmux.wait_exit(Duration::from_secs(20)), 4);
}
