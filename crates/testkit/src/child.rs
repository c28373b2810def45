//! Child processes that never outlive the test: killed and reaped when dropped, so a failing
//! test leaves no hls-swarm, ffmpeg, nginx or exporter running.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::poll;

/// A running child process, killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct Guarded {
    /// The program's file name, for messages.
    name: String,
    /// `None` once handed out by [`Guarded::take`].
    child: Option<Child>,
}

impl Guarded {
    /// Starts `cmd` with the standard streams it was given; panics naming the program when it
    /// cannot start.
    pub fn spawn(cmd: &mut Command) -> Guarded {
        let name = Path::new(cmd.get_program())
            .file_name()
            .map_or_else(|| "child".to_owned(), |n| n.to_string_lossy().into_owned());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        Guarded {
            name,
            child: Some(child),
        }
    }

    /// Starts `cmd` with no stdin and both output streams into the file `log`.
    pub fn spawn_logged(cmd: &mut Command, log: &Path) -> Guarded {
        let out =
            File::create(log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = out.try_clone().expect("duplicate the log file descriptor");
        Guarded::spawn(cmd.stdin(Stdio::null()).stdout(out).stderr(err))
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child().id()
    }

    /// Panics if the process has already exited.
    pub fn assert_running(&mut self) {
        let name = self.name.clone();
        if let Ok(Some(status)) = self.child_mut().try_wait() {
            panic!("{name} exited early: {status}");
        }
    }

    /// Sends SIGINT (a graceful stop for hls-swarm, ffmpeg and the origin).
    pub fn interrupt(&self) {
        self.signal("INT");
    }

    /// Sends SIGTERM (what Kubernetes sends a pod it stops; a graceful stop for hls-swarm).
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends the signal `name` (`INT`, `TERM`, …) with kill(1).
    pub fn signal(&self, name: &str) {
        let pid = self.id().to_string();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -{name} {pid}: {status}");
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("child");
        let _ = child.kill();
        child.wait().expect("reap the child")
    }

    /// Waits for the process to end and returns what it printed on its piped streams (empty for
    /// a stream that is not piped). Past `deadline` it is killed and the test fails with its
    /// output. The pipes are read while it runs, so a chatty child cannot block on a full pipe.
    pub fn wait_output(mut self, deadline: Duration) -> Output {
        let mut child = self.child.take().expect("child");
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = poll::until_some(deadline, || child.try_wait().expect("try_wait"));
        let timed_out = status.is_none();
        let status = status.unwrap_or_else(|| {
            let _ = child.kill();
            child.wait().expect("reap the child")
        });
        let output = Output {
            status,
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        };
        if timed_out {
            panic!(
                "{} did not finish within {deadline:?}\nstdout:\n{}\nstderr:\n{}",
                self.name,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        output
    }

    /// Hands the process over: it is no longer killed on drop.
    pub fn take(mut self) -> Child {
        self.child.take().expect("child")
    }

    fn child(&self) -> &Child {
        self.child.as_ref().expect("child")
    }

    fn child_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("child")
    }
}

/// Reads a pipe to its end on a thread of its own.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // Already exited is fine: then `wait` only reaps it.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests;
