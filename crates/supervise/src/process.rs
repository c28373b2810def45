//! Spawning one ffmpeg run: own process group, parent-death signal, progress pipe on fd 3.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc as std_mpsc;

use tokio::net::unix::pipe;
use tokio::process::Child;
use tokio::sync::oneshot;

/// The child's file descriptor for `-progress pipe:3`.
const PROGRESS_FD: RawFd = 3;

/// A started child with its progress pipe's read end.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) progress: pipe::Receiver,
}

struct Request {
    program: PathBuf,
    args: Vec<OsString>,
    reply: oneshot::Sender<io::Result<Spawned>>,
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

impl Spawner {
    /// Starts the spawner thread; it enters `runtime` so that children register with it.
    pub(crate) fn start(runtime: tokio::runtime::Handle) -> io::Result<Spawner> {
        let (tx, rx) = std_mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("hls-swarm-spawn".to_owned())
            .spawn(move || {
                let _entered = runtime.enter();
                while let Ok(request) = rx.recv() {
                    let result = spawn_now(&request.program, &request.args);
                    // A dropped receiver drops the child, and kill_on_drop kills it.
                    let _ = request.reply.send(result);
                }
            })?;
        Ok(Spawner { tx })
    }

    /// Spawns `program args` on the spawner thread.
    pub(crate) async fn spawn(&self, program: PathBuf, args: Vec<OsString>) -> io::Result<Spawned> {
        let (reply, answer) = oneshot::channel();
        let gone = || io::Error::other("the spawner thread has stopped");
        self.tx
            .send(Request {
                program,
                args,
                reply,
            })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn spawn_now(program: &PathBuf, args: &[OsString]) -> io::Result<Spawned> {
    let (read_end, write_end) = cloexec_pipe()?;
    let write_fd = write_end.as_raw_fd();
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Own process group: a terminal Ctrl-C does not reach ffmpeg directly, and stop
        // signals the whole group.
        .process_group(0)
        // Backstop only: shutdown is explicit (SIGINT, grace, SIGKILL to the group, reap).
        .kill_on_drop(true);
    // SAFETY: the closure runs in the forked child before exec, where only
    // async-signal-safe calls are allowed; it makes only raw syscalls (prctl, getppid,
    // dup2, fcntl), allocates nothing, and touches no locks. `write_fd` stays open in the
    // parent until after spawn returns, so it is valid in the child.
    unsafe {
        command.pre_exec(move || child_setup(write_fd, parent));
    }
    let child = command.spawn()?;
    // Close our copy of the write end so that the read end sees EOF when ffmpeg exits.
    drop(write_end);
    let progress = pipe::Receiver::from_owned_fd(read_end)?;
    Ok(Spawned { child, progress })
}

/// Runs in the child between fork and exec.
fn child_setup(write_fd: RawFd, parent: libc::pid_t) -> io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and has no memory arguments.
    if unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        )
    } == -1
    {
        return Err(io::Error::last_os_error());
    }
    // If the parent died between fork and prctl, the signal will never come: give up.
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != parent {
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    if write_fd == PROGRESS_FD {
        // dup2 onto itself would keep FD_CLOEXEC; clear it instead.
        // SAFETY: fcntl on a descriptor we own in this process, no pointers.
        if unsafe { libc::fcntl(PROGRESS_FD, libc::F_SETFD, 0) } == -1 {
            return Err(io::Error::last_os_error());
        }
    } else {
        // dup2 gives fd 3 without FD_CLOEXEC, so ffmpeg inherits it across exec.
        // SAFETY: both descriptors are plain integers; dup2 closes fd 3 first if open.
        if unsafe { libc::dup2(write_fd, PROGRESS_FD) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A pipe whose both ends are close-on-exec, so no other child inherits them.
fn cloexec_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both are fresh descriptors that nothing else owns.
    let ends = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok(ends)
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
