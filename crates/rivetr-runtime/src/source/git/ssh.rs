//! Fetching over ssh with a deploy key, without a shell.
//!
//! gix runs ssh for `ssh://` URLs itself, but only as `ssh [-p port] host
//! command`: it offers no way to add options, nor to set the environment of
//! the program it spawns. So for a deploy key this module starts `ssh` itself
//! with `Command::new("ssh").args([...])` (never a shell, never a formatted
//! command line) and hands its stdin and stdout to gix as a git transport in
//! "spawned process" mode, which is exactly what gix does internally.
//!
//! The key lives only in a file with mode 0600 inside a per-fetch directory
//! with mode 0700 ([`KeyDir`]); the directory is removed when the fetch ends,
//! fails or is cancelled. The host's ssh configuration (`~/.ssh/config`,
//! `/etc/ssh/ssh_config`), its agent and its known hosts are ignored.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gix::bstr::ByteSlice;
use gix::protocol::transport::Protocol;
use gix::protocol::transport::client::blocking_io::Transport;
use gix::protocol::transport::client::git::ConnectMode;
use gix::protocol::transport::client::git::blocking_io::Connection;
use gix::url::ArgumentSafety;
use rivetr_core::model::SecretString;
use rivetr_core::{Error, Result};

use super::super::io_error;

/// How much of ssh's stderr is kept for error messages.
const STDERR_LIMIT: usize = 16 * 1024;
/// Longest line of ssh's stderr read (the rest of a longer one is dropped
/// as it is read).
const MAX_LINE: usize = 64 * 1024;
/// The private key's file name in the [`KeyDir`].
const KEY_FILE: &str = "id";
/// The known hosts file's name in the [`KeyDir`].
const KNOWN_HOSTS_FILE: &str = "known_hosts";

/// A per-fetch directory (mode 0700) holding the private key (mode 0600) and
/// the known hosts file; removed when dropped.
#[derive(Debug)]
pub(super) struct KeyDir {
    dir: tempfile::TempDir,
    strict: bool,
}

impl KeyDir {
    /// Create the directory under `parent` and write the key and known
    /// hosts into it. With `known_hosts`, host keys are checked strictly
    /// against it; without, the first key seen is accepted (the file is
    /// empty and new for every fetch).
    pub(super) fn create(
        parent: &Path,
        private_key: &SecretString,
        known_hosts: Option<&str>,
    ) -> Result<Self> {
        std::fs::create_dir_all(parent)
            .map_err(|e| io_error("creating the temp dir for ssh keys", parent, e))?;
        let dir = tempfile::Builder::new()
            .prefix("rivetr-ssh-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(parent)
            .map_err(|e| io_error("creating a temp dir for the ssh key in", parent, e))?;
        // The umask may only take bits away; make sure of 0700 anyway.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error("restricting", dir.path(), e))?;
        let key = dir.path().join(KEY_FILE);
        let known_hosts_path = dir.path().join(KNOWN_HOSTS_FILE);
        // ssh passes these paths through its own `%`/`~`/`${}` expansion and
        // option tokenizer: only plain paths are safe.
        for path in [&key, &known_hosts_path] {
            if !is_plain_path(path) {
                return Err(Error::invalid_input(format!(
                    "the temp dir for ssh keys must be an absolute path of letters, digits and \
                     `/._+-` only, not {}",
                    parent.display()
                )));
            }
        }
        // ssh refuses keys without a final newline, and CRs pasted from
        // other systems.
        let mut text = private_key.expose().replace("\r\n", "\n");
        if !text.ends_with('\n') {
            text.push('\n');
        }
        write_private(&key, text.as_bytes())?;
        text.clear();
        write_private(
            &known_hosts_path,
            known_hosts.unwrap_or_default().as_bytes(),
        )?;
        Ok(Self {
            dir,
            strict: known_hosts.is_some(),
        })
    }

    /// The private key file.
    fn key(&self) -> PathBuf {
        self.dir.path().join(KEY_FILE)
    }

    /// The known hosts file.
    fn known_hosts(&self) -> PathBuf {
        self.dir.path().join(KNOWN_HOSTS_FILE)
    }
}

/// Create `path` with mode 0600 and `data`.
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_error("creating", path, e))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| io_error("restricting", path, e))?;
    file.write_all(data)
        .map_err(|e| io_error("writing", path, e))
}

fn is_plain_path(path: &Path) -> bool {
    let Some(text) = path.to_str() else {
        return false;
    };
    path.is_absolute()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._+-".contains(&b))
}

/// What ssh wrote to stderr (bounded), for error messages.
#[derive(Clone, Debug, Default)]
pub(super) struct SshStderr(Arc<Mutex<String>>);

impl SshStderr {
    /// The text so far, on one line.
    pub(super) fn text(&self) -> String {
        let text = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        text.split(['\n', '\r'])
            .map(str::trim)
            // Drop the banner lines of ssh's "host key changed" warning.
            .filter(|l| !l.is_empty() && !l.starts_with('@'))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Start `ssh` for `url` with the key in `keys` and return it as a git
/// transport for gix, with a handle on its stderr.
///
/// The process is killed when `interrupt` is set, and reaped when the
/// transport is dropped.
pub(super) fn connect(
    url: &gix::Url,
    version: Protocol,
    keys: &KeyDir,
    interrupt: &Arc<AtomicBool>,
) -> Result<(Box<dyn Transport + Send>, SshStderr)> {
    let bad = |what: &str| Error::invalid_input(format!("the ssh URL has {what}: {url}"));
    let host = match url.host_as_argument() {
        ArgumentSafety::Usable(host) => host.to_owned(),
        ArgumentSafety::Absent => return Err(bad("no host")),
        ArgumentSafety::Dangerous(_) => return Err(bad("a host that looks like an option")),
    };
    let destination = match url.user_as_argument() {
        ArgumentSafety::Usable(user) => format!("{user}@{host}"),
        ArgumentSafety::Absent => host,
        ArgumentSafety::Dangerous(_) => return Err(bad("a user that looks like an option")),
    };
    let path = gix::url::expand_path::for_shell(url.path.clone());
    if path.trim().first() == Some(&b'-') || path.contains(&0) || path.contains(&b'\n') {
        return Err(bad("a path that looks like an option"));
    }
    // The remote side runs the command through the account's shell, as with
    // git itself: the path is quoted for it.
    let remote_path = gix::quote::single(path.as_bstr())
        .to_str()
        .map(ToOwned::to_owned)
        .map_err(|_| bad("a path that is not UTF-8"))?;

    let mut command = Command::new("ssh");
    command
        // No host configuration, agent or known hosts: only what is given.
        .args(["-F", "/dev/null"])
        .arg("-i")
        .arg(keys.key())
        .args(["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"])
        .args(["-o", "BatchMode=yes", "-o", "PasswordAuthentication=no"])
        .args(["-o", "KbdInteractiveAuthentication=no"])
        .arg("-o")
        .arg(if keys.strict {
            "StrictHostKeyChecking=yes"
        } else {
            "StrictHostKeyChecking=accept-new"
        })
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            keys.known_hosts().display()
        ))
        .args([
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "UpdateHostKeys=no",
        ])
        .args(["-o", "ForwardAgent=no", "-o", "ForwardX11=no"])
        .args([
            "-o",
            "ClearAllForwardings=yes",
            "-o",
            "PermitLocalCommand=no",
        ])
        .args(["-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=15"])
        .args(["-o", "ServerAliveCountMax=4", "-o", "LogLevel=ERROR"]);
    if version != Protocol::V1 {
        command
            .args(["-o", "SendEnv=GIT_PROTOCOL"])
            .env("GIT_PROTOCOL", format!("version={}", version as usize));
    }
    if let Some(port) = url.port {
        command.arg("-p").arg(port.to_string());
    }
    command
        .arg("--")
        .arg(destination)
        .arg("git-upload-pack")
        .arg(remote_path)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("SSH_ASKPASS")
        .env("SSH_ASKPASS_REQUIRE", "never")
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| {
        Error::unavailable(format!(
            "starting ssh (needed for ssh deploy keys) for {url}: {e}"
        ))
    })?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::internal("ssh was started without its pipes"));
    };
    let collected = SshStderr::default();
    let sink = collected.clone();
    let stderr_thread = std::thread::Builder::new()
        .name("rivetr-ssh-stderr".into())
        .spawn(move || collect_stderr(stderr, &sink))
        .ok();
    let child = Arc::new(Mutex::new(child));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let child = Arc::clone(&child);
        let stop = Arc::clone(&stop);
        let interrupt = Arc::clone(interrupt);
        std::thread::Builder::new()
            .name("rivetr-ssh-watch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if interrupt.load(Ordering::Relaxed) {
                        let mut child = child.lock().unwrap_or_else(PoisonError::into_inner);
                        let _ = child.kill();
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
            .ok()
    };
    let reader = SshStdout {
        stdout,
        _guard: ProcessGuard {
            child,
            stop,
            watcher,
            stderr_thread,
        },
    };
    let connection = Connection::<SshStdout, ChildStdin>::new(
        reader,
        stdin,
        version,
        path,
        None::<(String, Option<u16>)>,
        ConnectMode::Process,
        false,
    )
    .custom_url(Some(url.to_bstring()));
    Ok((Box::new(connection), collected))
}

/// Read ssh's stderr to its end (so ssh never blocks on it), keeping up to
/// about [`STDERR_LIMIT`] bytes of it in `sink`. Lines are read in bounded
/// chunks and cut at [`MAX_LINE`]: the remote controls this output.
fn collect_stderr<R: Read>(stderr: R, sink: &SshStderr) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_line_capped(&mut reader, &mut line) {
            Ok(None) | Err(_) => return,
            Ok(Some(cut)) => {
                let mut text = sink.0.lock().unwrap_or_else(PoisonError::into_inner);
                if text.len() < STDERR_LIMIT {
                    text.push_str(&String::from_utf8_lossy(&line));
                    if cut {
                        text.push_str("…\n");
                    }
                }
            }
        }
    }
}

/// Read one line (with its newline) into `line`, keeping at most
/// [`MAX_LINE`] bytes of it and discarding the rest up to the newline, one
/// buffer at a time. `Ok(None)` at the end of the input, else
/// `Ok(Some(cut))`.
fn read_line_capped<R: BufRead>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    let mut read_any = false;
    let mut cut = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read_any.then_some(cut));
        }
        read_any = true;
        let (used, ended) = crate::line_cap::take_line_chunk(available, line, &mut cut, MAX_LINE);
        reader.consume(used);
        if ended {
            return Ok(Some(cut));
        }
    }
}

/// ssh's stdout, owning the process: dropping it reaps ssh (killing it when
/// it does not exit on its own).
struct SshStdout {
    stdout: ChildStdout,
    _guard: ProcessGuard,
}

impl Read for SshStdout {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stdout.read(buf)
    }
}

struct ProcessGuard {
    child: Arc<Mutex<Child>>,
    stop: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
    stderr_thread: Option<JoinHandle<()>>,
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
        {
            let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
            // Its stdin is closed by now (the connection drops its writer
            // first): give ssh a moment to end the session cleanly.
            let deadline = Instant::now() + Duration::from_secs(2);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() >= deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        if let Some(thread) = self.stderr_thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_dir_is_private_and_removed_on_drop() {
        let parent = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let key = SecretString::new("-----BEGIN OPENSSH PRIVATE KEY-----\r\nabc");
        let dir = KeyDir::create(parent.path(), &key, Some("host ssh-ed25519 AAAA\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(mode(dir.dir.path()), 0o700);
        assert_eq!(mode(&dir.key()), 0o600);
        assert_eq!(mode(&dir.known_hosts()), 0o600);
        assert!(dir.strict);
        let written = std::fs::read_to_string(dir.key()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written, "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n");
        let path = dir.dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
        let lenient = KeyDir::create(parent.path(), &key, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(!lenient.strict);
    }

    #[test]
    fn a_huge_stderr_line_is_cut_and_bounded() {
        // 64 MiB without a newline, never held in memory by the test.
        let huge = || std::io::repeat(b'e').take(64 << 20);
        let mut reader = BufReader::new(
            std::io::Cursor::new(b"first\n".to_vec())
                .chain(huge())
                .chain(std::io::Cursor::new(b"\nlater\n".to_vec()))
                .chain(huge()),
        );
        let mut line = Vec::new();
        let mut lines = Vec::new();
        while let Some(cut) =
            read_line_capped(&mut reader, &mut line).unwrap_or_else(|e| panic!("{e}"))
        {
            assert!(line.len() <= MAX_LINE + 1);
            lines.push((std::mem::take(&mut line), cut));
        }
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], (b"first\n".to_vec(), false));
        assert_eq!(lines[1], (vec![b'e'; MAX_LINE], true));
        assert_eq!(lines[2], (b"later\n".to_vec(), false));
        assert_eq!(lines[3], (vec![b'e'; MAX_LINE], true));

        let sink = SshStderr::default();
        let input = std::io::Cursor::new(b"Permission denied\n".to_vec())
            .chain(huge())
            .chain(std::io::Cursor::new(b"\nlater\n".to_vec()))
            .chain(huge());
        collect_stderr(input, &sink);
        let kept = sink.0.lock().unwrap_or_else(PoisonError::into_inner).len();
        assert!(kept <= STDERR_LIMIT + MAX_LINE + 8, "{kept}");
        let text = sink.text();
        assert!(
            text.starts_with("Permission denied; eee"),
            "{}",
            &text[..40]
        );
        assert!(text.ends_with("e…"));
    }

    #[test]
    fn short_stderr_lines_are_kept_whole() {
        let sink = SshStderr::default();
        collect_stderr(
            &b"@@@@\nHost key verification failed.\r\nno newline"[..],
            &sink,
        );
        assert_eq!(sink.text(), "Host key verification failed.; no newline");
    }

    #[test]
    fn only_plain_paths_reach_ssh() {
        assert!(is_plain_path(Path::new("/tmp/rivetr-ssh-AbC09/id")));
        for bad in [
            "tmp/x",
            "/tmp/a b",
            "/tmp/%d",
            "/tmp/${HOME}",
            "/tmp/~x",
            "/tmp/a\"b",
        ] {
            assert!(!is_plain_path(Path::new(bad)), "{bad}");
        }
    }
}
