//! How a viewer's ffmpeg is started: forked from hls-swarm itself ([`Launch::Fork`]), or
//! spawned without a fork through a trampoline, a tiny fresh process that makes the same
//! arrangements and then becomes ffmpeg ([`Launch::Trampoline`]).
//!
//! Why a trampoline: a viewer needs two steps between its start and ffmpeg's `exec` (the
//! parent-death signal, and its `-progress` socket on fd 3), which only a `fork` lets the
//! parent run in the child (`pre_exec`). Forking copies the parent's page tables, and every
//! page the parent then writes takes a copy-on-write fault: measured on this project's 2-core
//! VM (`cargo xtask spawn-cost`), about 3 ms of the parent's CPU a start at 20 MB resident and
//! 41–69 ms at 400 MB (the request tap's buffers at 700 viewers), against 0.2–0.4 ms for
//! `posix_spawn`, which shares the parent's memory
//! until the child execs. With a trampoline, hls-swarm `posix_spawn`s its own executable
//! with [`TRAMPOLINE_ARG`]; that process sets the parent-death signal, moves the progress
//! socket from its stdout to fd 3, and execs ffmpeg (same pid, so the supervision is
//! unchanged). Its own start (an exec of hls-swarm's binary, 1.4–2.8 ms, mostly the dynamic
//! loader's relocations) is counted in the viewer's CPU, since it is the same process. Both ways make the same two
//! arrangements in the child before exec: [`die_with_parent`] and [`progress_on_fd3`].

use std::convert::Infallible;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

/// The first argument that makes a binary calling [`trampoline_if_asked`] a trampoline: its
/// arguments are then `TRAMPOLINE_ARG PARENT_PID PROGRAM ARGS…`.
pub const TRAMPOLINE_ARG: &str = "--hls-swarm-trampoline";

/// The child's file descriptor for `-progress pipe:3`.
const PROGRESS_FD: RawFd = 3;

/// How viewers' processes are started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Launch {
    /// Forked from this process, the arrangements made between fork and exec. Needs nothing
    /// else, so it is the default for the library; each start costs this process a copy of its
    /// page tables and the copy-on-write faults that follow (see the module docs).
    #[default]
    Fork,
    /// `posix_spawn` of this executable, a binary whose `main` calls [`trampoline_if_asked`]
    /// before anything else; it makes the arrangements and execs the viewer.
    Trampoline(PathBuf),
}

impl Launch {
    /// The running executable as the trampoline (`/proc/self/exe`, which stays valid even if
    /// the file is replaced or deleted while the run goes on): for a binary whose `main`
    /// starts with [`trampoline_if_asked`].
    pub fn this_executable() -> Launch {
        Launch::Trampoline(PathBuf::from("/proc/self/exe"))
    }
}

/// Call first in `main`, before parsing arguments or starting threads: when this process was
/// started as a viewer's trampoline ([`TRAMPOLINE_ARG`]), it becomes the viewer (exec) and never
/// returns; when the viewer cannot be started, it says why on stderr (the viewer's log) and
/// exits 127. Otherwise it returns at once.
pub fn trampoline_if_asked() {
    let mut args = std::env::args_os();
    if args.nth(1).as_deref() != Some(OsStr::new(TRAMPOLINE_ARG)) {
        return;
    }
    let Err(why) = trampoline(args);
    eprintln!("hls-swarm: {why}");
    std::process::exit(127);
}

/// `PARENT_PID PROGRAM ARGS…`: arranges what `Launch::Fork` arranges in the forked child, then
/// execs `PROGRAM ARGS…`.
fn trampoline(mut args: impl Iterator<Item = OsString>) -> Result<Infallible, String> {
    let parent = (args.next())
        .and_then(|pid| pid.to_str()?.parse::<libc::pid_t>().ok())
        .ok_or("a viewer's trampoline was started without its parent's pid")?;
    let program = (args.next()).ok_or("a viewer's trampoline was started without a program")?;
    die_with_parent(parent)
        .map_err(|e| format!("cannot tie the viewer to hls-swarm's life: {e}"))?;
    // The progress socket came as stdout: to fd 3, and stdout back to /dev/null.
    progress_on_fd3(libc::STDOUT_FILENO)
        .and_then(|()| stdout_to_null())
        .map_err(|e| format!("cannot set up the viewer's progress output: {e}"))?;
    let error = std::process::Command::new(&program).args(args).exec();
    Err(format!(
        "cannot start {}: {error}",
        program.to_string_lossy()
    ))
}

/// In the child before exec: SIGKILL when the thread that started it dies with its process.
pub(crate) fn die_with_parent(parent: libc::pid_t) -> io::Result<()> {
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
    Ok(())
}

/// In the child before exec: the progress socket's child end as fd 3.
pub(crate) fn progress_on_fd3(child_end: RawFd) -> io::Result<()> {
    if child_end == PROGRESS_FD {
        // dup2 onto itself would keep FD_CLOEXEC; clear it instead.
        // SAFETY: fcntl on a descriptor we own in this process, no pointers.
        if unsafe { libc::fcntl(PROGRESS_FD, libc::F_SETFD, 0) } == -1 {
            return Err(io::Error::last_os_error());
        }
    } else {
        // dup2 gives fd 3 without FD_CLOEXEC, so ffmpeg inherits it across exec.
        // SAFETY: both descriptors are plain integers; dup2 closes fd 3 first if open.
        if unsafe { libc::dup2(child_end, PROGRESS_FD) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn stdout_to_null() -> io::Result<()> {
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    // SAFETY: dup2 of a descriptor we own onto stdout; no pointers.
    if unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), libc::STDOUT_FILENO) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether `program` can be started, as `exec` would find it (a path, or a bare name looked up
/// on `PATH`): the trampoline's parent checks this before each start, so that a missing ffmpeg
/// is a failed start with the error `exec` gives, as with [`Launch::Fork`], not a viewer that
/// exits 127 (which is what remains if it goes between this check and the exec).
pub(crate) fn check_executable(program: &Path) -> io::Result<()> {
    let executable = |path: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).and_then(|m| {
            if m.is_file() && m.permissions().mode() & 0o111 != 0 {
                Ok(())
            } else {
                Err(io::Error::from_raw_os_error(libc::EACCES))
            }
        })
    };
    if std::os::unix::ffi::OsStrExt::as_bytes(program.as_os_str()).contains(&b'/') {
        return executable(program);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut found = Err(io::Error::from_raw_os_error(libc::ENOENT));
    for dir in std::env::split_paths(&path) {
        match executable(&dir.join(program)) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => found = Err(e),
            Err(_) => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_unrunnable_program_is_refused_as_exec_would() {
        assert_eq!(
            check_executable(Path::new("/nonexistent/ffmpeg")).map_err(|e| e.raw_os_error()),
            Err(Some(libc::ENOENT))
        );
        let plain = std::env::temp_dir().join(format!("hls-swarm-plain-{}", std::process::id()));
        std::fs::write(&plain, "not a program").unwrap();
        assert_eq!(
            check_executable(&plain).map_err(|e| e.raw_os_error()),
            Err(Some(libc::EACCES)),
            "a file that is not executable"
        );
        std::fs::remove_file(&plain).unwrap();
        assert!(check_executable(Path::new("/bin/sh")).is_ok());
        assert!(check_executable(Path::new("sh")).is_ok(), "found on PATH");
        assert_eq!(
            check_executable(Path::new("no-such-program-hls-swarm")).map_err(|e| e.raw_os_error()),
            Err(Some(libc::ENOENT))
        );
    }
}
