//! Spawning every child hls-swarm runs, viewers and probes alike: own process group,
//! parent-death signal, started from one dedicated thread (forked, or a viewer through the
//! trampoline of [`crate::launch`]); a viewer's stderr and `-progress` (on fd 3) are sockets or
//! pipes for the line reader.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc as std_mpsc;

use crate::launch::{Launch, TRAMPOLINE_ARG, check_executable, die_with_parent, progress_on_fd3};
use crate::reader::LineTiming;
use tokio::process::Child;
use tokio::sync::oneshot;

/// A started viewer with our ends of its stderr and `-progress` sockets.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) stderr: OwnedFd,
    pub(crate) progress: OwnedFd,
}

/// What the spawner thread is asked to start.
enum Request {
    /// An ffmpeg viewer: stderr and fd 3 (`-progress pipe:3`) on sockets of the line reader.
    Viewer {
        program: PathBuf,
        args: Vec<OsString>,
        timing: LineTiming,
        reply: oneshot::Sender<io::Result<Spawned>>,
    },
    /// A short-lived helper (the capability probe, ffprobe): stdout and stderr piped.
    Helper {
        program: PathBuf,
        args: Vec<OsString>,
        reply: oneshot::Sender<io::Result<Child>>,
    },
}

/// Forks every child from one dedicated thread.
///
/// Linux delivers `PR_SET_PDEATHSIG` when the *thread* that forked the child exits, not
/// the process. Forking from a tokio worker or blocking-pool thread would tie ffmpeg's life
/// to that thread (blocking-pool threads exit after 10 s idle, and `block_in_place` can
/// retire a worker), killing healthy viewers. This thread lives until every [`Spawner`]
/// clone is dropped, which happens only after every viewer task has reaped its child; so
/// the signal fires only when the whole supervisor process dies.
#[derive(Clone)]
pub(crate) struct Spawner {
    tx: std_mpsc::Sender<Request>,
}

/// The spawner thread's side: how viewers are launched.
struct Launcher {
    launch: Launch,
    /// This process's id, which the children check their parent against.
    parent: libc::pid_t,
}

impl Spawner {
    /// Starts the spawner thread; it enters `runtime` so that children register with it, and
    /// starts viewers as `launch` says (helpers are always forked).
    pub(crate) fn start(runtime: tokio::runtime::Handle, launch: Launch) -> io::Result<Spawner> {
        let (tx, rx) = std_mpsc::channel::<Request>();
        let launcher = Launcher {
            launch,
            // SAFETY: getpid has no preconditions.
            parent: unsafe { libc::getpid() },
        };
        std::thread::Builder::new()
            .name("hls-swarm-spawn".to_owned())
            .spawn(move || {
                let _entered = runtime.enter();
                // A dropped receiver drops the child, and kill_on_drop kills it.
                while let Ok(request) = rx.recv() {
                    match request {
                        Request::Viewer {
                            program,
                            args,
                            timing,
                            reply,
                        } => {
                            let _ = reply.send(launcher.spawn_viewer(&program, &args, timing));
                        }
                        Request::Helper {
                            program,
                            args,
                            reply,
                        } => {
                            let _ = reply.send(spawn_helper(&program, &args, launcher.parent));
                        }
                    }
                }
            })?;
        Ok(Spawner { tx })
    }

    /// Spawns the viewer `program args` on the spawner thread, its output on channels for
    /// `timing`.
    pub(crate) async fn spawn(
        &self,
        program: PathBuf,
        args: Vec<OsString>,
        timing: LineTiming,
    ) -> io::Result<Spawned> {
        self.ask(|reply| Request::Viewer {
            program,
            args,
            timing,
            reply,
        })
        .await
    }

    /// Spawns the helper `program args` (stdout and stderr piped) on the spawner thread.
    /// Keep this `Spawner` until the helper is reaped: its parent-death signal is tied to
    /// the spawner thread, which lives as long as a clone does.
    async fn spawn_helper(&self, program: PathBuf, args: Vec<OsString>) -> io::Result<Child> {
        self.ask(|reply| Request::Helper {
            program,
            args,
            reply,
        })
        .await
    }

    /// Sends the request `make` builds around its reply channel, and waits for the reply.
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<io::Result<T>>) -> Request,
    ) -> io::Result<T> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(make(reply)).map_err(|_| spawner_gone())?;
        answer.await.map_err(|_| spawner_gone())?
    }
}

/// Runs the helper `program args` to its end, spawned as viewers are (own process group,
/// parent-death signal from a spawner thread of its own), and returns what it printed.
/// Dropping the future kills the helper.
pub(crate) async fn run_helper(
    program: &std::path::Path,
    args: Vec<OsString>,
) -> io::Result<std::process::Output> {
    let spawner = Spawner::start(tokio::runtime::Handle::current(), Launch::Fork)?;
    let child = spawner.spawn_helper(program.to_path_buf(), args).await?;
    let output = child.wait_with_output().await;
    // The helper is reaped: only now may the spawner thread (its parent-death anchor) end.
    drop(spawner);
    output
}

fn spawner_gone() -> io::Error {
    io::Error::other("the spawner thread has stopped")
}

/// A command that runs in a process group of its own (a terminal Ctrl-C does not reach it
/// directly, and a stop signals the whole group) and is killed if dropped (a backstop only:
/// shutdown is explicit: SIGINT, grace, SIGKILL to the group, reap).
fn grouped_command(program: &PathBuf, args: &[OsString]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    command
}

impl Launcher {
    fn spawn_viewer(
        &self,
        program: &PathBuf,
        args: &[OsString],
        timing: LineTiming,
    ) -> io::Result<Spawned> {
        let (stderr, stderr_child) = crate::reader::stream_pair(timing)?;
        let (progress, progress_child) = crate::reader::stream_pair(timing)?;
        let parent = self.parent;
        // Our copy of the child's progress end, kept open until the fork has dup'ed it.
        let mut keep_until_spawned = None;
        let mut command = match &self.launch {
            Launch::Fork => {
                let progress_fd = progress_child.as_raw_fd();
                let mut command = grouped_command(program, args);
                command.stdout(Stdio::null());
                // SAFETY: the closure runs in the forked child before exec, where only
                // async-signal-safe calls are allowed; it makes only raw syscalls (prctl,
                // getppid, dup2, fcntl), allocates nothing, and touches no locks.
                // `progress_fd` stays open in the parent until after spawn returns, so it is
                // valid in the child.
                unsafe {
                    command.pre_exec(move || {
                        die_with_parent(parent)?;
                        progress_on_fd3(progress_fd)
                    });
                }
                keep_until_spawned = Some(progress_child);
                command
            }
            Launch::Trampoline(exe) => {
                check_executable(program)?;
                // No pre_exec: std spawns it with posix_spawn (no fork). The trampoline takes
                // the progress socket as its stdout and moves it to fd 3 itself.
                let mut command = grouped_command(exe, &[]);
                command
                    .arg(TRAMPOLINE_ARG)
                    .arg(parent.to_string())
                    .arg(program)
                    .args(args)
                    .stdout(Stdio::from(progress_child));
                command
            }
        };
        command.stderr(Stdio::from(stderr_child));
        let child = command.spawn()?;
        // Close our copies of the child's ends (those given to `command` go with it), so
        // that ours see the end when ffmpeg exits.
        drop(command);
        drop(keep_until_spawned);
        Ok(Spawned {
            child,
            stderr,
            progress,
        })
    }
}

fn spawn_helper(program: &PathBuf, args: &[OsString], parent: libc::pid_t) -> io::Result<Child> {
    let mut command = grouped_command(program, args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: as in `Launcher::spawn_viewer`: only raw syscalls (prctl, getppid) before exec.
    unsafe {
        command.pre_exec(move || die_with_parent(parent));
    }
    command.spawn()
}

/// Sends `signal` to the process group led by `pid` (the child's pid, as it was spawned
/// with `process_group(0)`). Call only while the leader is not yet reaped, so the id cannot
/// have been reused. Errors (the group is already gone) are ignored.
pub(crate) fn signal_group(pid: u32, signal: libc::c_int) {
    let Ok(pgid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill with a negative pid signals a process group; no memory is involved.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pid` and process group of the process whose `/proc/<pid>/stat` this is.
    fn pid_and_group(stat: &str) -> (i64, i64) {
        // `pid (comm) state ppid pgrp …`; comm may hold spaces, so split after its `)`.
        let (pid, rest) = stat.split_once(" (").expect("stat has a comm");
        let fields: Vec<&str> = rest
            .rsplit_once(") ")
            .expect("comm ends")
            .1
            .split(' ')
            .collect();
        (pid.parse().unwrap(), fields[2].parse().unwrap())
    }

    #[tokio::test]
    async fn a_helper_runs_in_a_process_group_of_its_own_and_its_output_is_read() {
        let args = ["-c", "cat /proc/$$/stat; echo oops >&2"]
            .map(OsString::from)
            .into();
        let output = run_helper(std::path::Path::new("sh"), args).await.unwrap();
        assert!(output.status.success());
        let (pid, group) = pid_and_group(&String::from_utf8_lossy(&output.stdout));
        assert_eq!(group, pid, "the helper leads its own group");
        // SAFETY: getpgrp has no preconditions.
        assert_ne!(group, i64::from(unsafe { libc::getpgrp() }));
        assert_eq!(output.stderr, b"oops\n");
    }

    #[tokio::test]
    async fn a_missing_helper_is_not_found() {
        let err = run_helper(std::path::Path::new("/nonexistent/ffmpeg"), Vec::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
