//! [`self_check`]: the start-up checks against the machine (data dir
//! writable, free disk space, ports free, store reachable, container
//! engine answering), each result a [`Finding`].

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use rivetr_store::SqlStore;

use super::{ByteSize, Config, Finding};

/// Run the start-up checks; the server refuses to start when one is an
/// [`Error`](super::Severity::Error). With `server.skip_self_checks` set,
/// the only finding says they were skipped.
///
/// The data dir is created when missing; opening the store brings its
/// schema up to date and creates the sealing key file when missing, as
/// the server's start would.
pub async fn self_check(config: &Config) -> Vec<Finding> {
    if config.server.skip_self_checks {
        return vec![Finding::skipped(
            "self checks",
            "skipped (server.skip_self_checks or --skip-self-checks)",
        )];
    }
    let mut out = Vec::new();
    let data_dir = &config.server.data_dir;
    let writable = check_data_dir(data_dir).await;
    let dir_usable = writable.severity == super::Severity::Ok;
    out.push(writable);
    if dir_usable {
        out.push(check_disk(data_dir, config.server.min_free_disk));
    } else {
        out.push(Finding::skipped(
            "disk space",
            "not checked: the data dir is not usable",
        ));
    }
    for (key, addr) in config.listeners() {
        out.push(check_port(key, addr));
    }
    let (store, runtime) = tokio::join!(check_store(config), check_runtime(config));
    out.push(store);
    out.push(runtime);
    out
}

async fn check_data_dir(dir: &Path) -> Finding {
    const SUBJECT: &str = "data dir";
    let fail = |doing: &str, e: std::io::Error| {
        Finding::error(
            SUBJECT,
            format!("cannot {doing} in {}: {e}", dir.display()),
            format!(
                "create {} and make it writable by the user running rivetr, or set server.data_dir",
                dir.display()
            ),
        )
    };
    if let Err(e) = tokio::fs::create_dir_all(dir).await {
        return fail("create the directory", e);
    }
    let probe = dir.join(format!(".rivetr-selfcheck-{}", std::process::id()));
    let written = async {
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        drop(options.open(&probe).await?);
        tokio::fs::remove_file(&probe).await
    }
    .await;
    match written {
        Ok(()) => Finding::ok(SUBJECT, format!("{} is writable", dir.display())),
        Err(e) => fail("create and remove a file", e),
    }
}

fn check_disk(dir: &Path, min: ByteSize) -> Finding {
    const SUBJECT: &str = "disk space";
    match rustix::fs::statvfs(dir) {
        Err(e) => Finding::skipped(
            SUBJECT,
            format!("not checked: statvfs on {} failed: {e}", dir.display()),
        ),
        Ok(stats) => {
            let free = ByteSize::new(stats.f_bavail.saturating_mul(stats.f_frsize));
            if free < min {
                Finding::error(
                    SUBJECT,
                    format!(
                        "only {} free on the file system of {} (at least {min} wanted)",
                        human(free),
                        dir.display()
                    ),
                    "free some space (docker system prune removes unused images), or lower server.min_free_disk",
                )
            } else {
                Finding::ok(
                    SUBJECT,
                    format!(
                        "{} free on the file system of {}",
                        human(free),
                        dir.display()
                    ),
                )
            }
        }
    }
}

/// A size rounded down to a readable unit.
fn human(size: ByteSize) -> String {
    let bytes = size.get();
    let units = [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    units.iter().find(|(unit, _)| bytes >= *unit).map_or_else(
        || format!("{bytes}B"),
        |(unit, name)| format!("{}{name}", bytes / unit),
    )
}

fn check_port(key: &str, addr: SocketAddr) -> Finding {
    if addr.port() == 0 {
        return Finding::ok(key, format!("{addr}: the system picks a free port"));
    }
    match TcpListener::bind(addr) {
        Ok(listener) => {
            drop(listener);
            Finding::ok(key, format!("{addr} is free"))
        }
        Err(e) if e.kind() == ErrorKind::AddrInUse => Finding::error(
            key,
            format!("{addr} is already in use"),
            format!(
                "stop the program listening there (`ss -ltnp 'sport = :{}'` shows it), or set {key} to another address",
                addr.port()
            ),
        ),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Finding::error(
            key,
            format!("not allowed to listen on {addr}: {e}"),
            "ports below 1024 need root or the CAP_NET_BIND_SERVICE capability (`setcap cap_net_bind_service=+ep` on the rivetr binary); or choose a port above 1023",
        ),
        Err(e) => Finding::error(
            key,
            format!("cannot listen on {addr}: {e}"),
            format!(
                "check that the address belongs to this machine, or set {key} to another address"
            ),
        ),
    }
}

async fn check_store(config: &Config) -> Finding {
    const SUBJECT: &str = "store";
    let store_config = match config.store_config() {
        Ok(store_config) => store_config,
        Err(err) => {
            return Finding::error(
                "store",
                err.to_string(),
                "fix the [store] settings (`rivetr config check` explains them)",
            );
        }
    };
    let shown = redact(&store_config.url);
    let limit = store_config.busy_timeout + Duration::from_secs(10);
    match tokio::time::timeout(limit, SqlStore::open(store_config)).await {
        Ok(Ok(store)) => {
            drop(store);
            Finding::ok(SUBJECT, format!("{shown} opened, schema up to date"))
        }
        Ok(Err(e)) => Finding::error(
            SUBJECT,
            format!("cannot open {shown}: {e}"),
            "check store.url (is the database server running and reachable?) and store.sealing_key_file",
        ),
        Err(_) => Finding::error(
            SUBJECT,
            format!("{shown} did not answer within {}s", limit.as_secs()),
            "check that the database server is running and reachable from this machine",
        ),
    }
}

async fn check_runtime(config: &Config) -> Finding {
    const SUBJECT: &str = "runtime";
    match rivetr_runtime::docker::connect(&config.connect_options()).await {
        Ok(connection) => Finding::ok(
            SUBJECT,
            format!(
                "{} {} answers on {} (API {})",
                connection.flavor,
                connection.version,
                connection.socket.display(),
                connection.api_version
            ),
        ),
        Err(e) => Finding::error(
            SUBJECT,
            e.to_string(),
            "start the container engine (systemctl start docker), give the rivetr user access to its socket, or set runtime.socket",
        ),
    }
}

/// `url` with a password replaced by `***`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_and_sizes_readable() {
        assert_eq!(
            redact("postgres://u:secret@db:5432/r"),
            "postgres://u:***@db:5432/r"
        );
        assert_eq!(
            redact("sqlite:///var/lib/rivetr/rivetr.db"),
            "sqlite:///var/lib/rivetr/rivetr.db"
        );
        assert_eq!(human(ByteSize::new(3 << 30)), "3GiB");
        assert_eq!(human(ByteSize::new(512)), "512B");
    }
}
