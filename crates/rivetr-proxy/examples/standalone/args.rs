//! The standalone runner's command line, parsed by hand (no argument parser
//! in the workspace), with an error naming the flag at fault.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use rivetr_core::input::HostPattern;
use rivetr_core::route::Upstream;

/// What `--help` prints.
pub(crate) const USAGE: &str = "\
usage: standalone --listen ADDR --route HOST=UPSTREAM[,UPSTREAM...] [options]

  --listen ADDR           serve plain HTTP on ADDR (repeatable; port 0 picks one)
  --route HOST=UP[,UP..]  send HOST to these upstreams, round-robin (repeatable);
                          HOST is a name (app.example.com), a wildcard
                          (*.example.com) or * for every host no other route matches
  --threads N             tokio worker threads (default: one per core); 1 runs
                          everything on one thread (tokio's current_thread runtime)
  --header-timeout DUR    header read timeout, also closes idle keep-alive clients
                          (default 10s)
  --idle-timeout DUR      how long idle pooled upstream connections are kept (default 90s)
  --tls-listen ADDR       serve HTTPS on ADDR (repeatable; needs --tls-cert and --tls-key)
  --tls-cert PEM          certificate chain (PEM) for every TLS host
  --tls-key PEM           its private key (PEM)
  -h, --help              this text

DUR is a number of seconds, or a number ending in ms or s (250ms, 30s).
Each listener prints `listening on http://ADDR` (or https) once bound.
";

/// A bad command line: what was wrong, to print with [`USAGE`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ArgError(pub(crate) String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgError {}

/// Which hosts a `--route` takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Hosts {
    /// `*`: every host no other route matches.
    Any,
    /// An exact host or a one-label wildcard.
    Pattern(HostPattern),
}

/// One `--route HOST=UPSTREAM[,UPSTREAM...]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RouteArg {
    /// The hosts it serves.
    pub(crate) hosts: Hosts,
    /// Where their requests go, round-robin.
    pub(crate) upstreams: Vec<Upstream>,
}

/// The TLS flags, all three given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TlsArgs {
    /// `--tls-listen` addresses.
    pub(crate) listen: Vec<SocketAddr>,
    /// `--tls-cert`.
    pub(crate) cert: PathBuf,
    /// `--tls-key`.
    pub(crate) key: PathBuf,
}

/// The parsed command line.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Args {
    /// `--listen` addresses (plain HTTP).
    pub(crate) listen: Vec<SocketAddr>,
    /// `--route`s, in order.
    pub(crate) routes: Vec<RouteArg>,
    /// `--threads`.
    pub(crate) threads: Option<usize>,
    /// `--header-timeout`.
    pub(crate) header_timeout: Option<Duration>,
    /// `--idle-timeout`.
    pub(crate) idle_timeout: Option<Duration>,
    /// `--tls-listen`, `--tls-cert`, `--tls-key`.
    pub(crate) tls: Option<TlsArgs>,
    /// `-h`/`--help`: print [`USAGE`] and exit.
    pub(crate) help: bool,
}

impl Args {
    /// Parse the arguments after the program name.
    ///
    /// # Errors
    ///
    /// An unknown flag, a flag without its value, a bad value, or a missing
    /// `--listen`/`--route`.
    pub(crate) fn parse(mut argv: impl Iterator<Item = String>) -> Result<Self, ArgError> {
        let mut args = Self::default();
        let (mut tls_listen, mut cert, mut key) = (Vec::new(), None, None);
        while let Some(flag) = argv.next() {
            let mut value = || {
                argv.next()
                    .ok_or_else(|| ArgError(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "-h" | "--help" => args.help = true,
                "--listen" => args.listen.push(socket_addr(&flag, &value()?)?),
                "--tls-listen" => tls_listen.push(socket_addr(&flag, &value()?)?),
                "--route" => args.routes.push(route(&value()?)?),
                "--threads" => args.threads = Some(threads(&value()?)?),
                "--header-timeout" => args.header_timeout = Some(duration(&flag, &value()?)?),
                "--idle-timeout" => args.idle_timeout = Some(duration(&flag, &value()?)?),
                "--tls-cert" => cert = Some(PathBuf::from(value()?)),
                "--tls-key" => key = Some(PathBuf::from(value()?)),
                _ => return Err(ArgError(format!("unknown flag {flag:?}"))),
            }
        }
        if args.help {
            return Ok(args);
        }
        args.tls = match (tls_listen.is_empty(), cert, key) {
            (true, None, None) => None,
            (false, Some(cert), Some(key)) => Some(TlsArgs {
                listen: tls_listen,
                cert,
                key,
            }),
            _ => {
                return Err(ArgError(
                    "--tls-listen, --tls-cert and --tls-key go together".into(),
                ));
            }
        };
        if args.listen.is_empty() && args.tls.is_none() {
            return Err(ArgError(
                "give at least one --listen or --tls-listen".into(),
            ));
        }
        if args.routes.is_empty() {
            return Err(ArgError("give at least one --route".into()));
        }
        let catch_alls = (args.routes.iter()).filter(|r| r.hosts == Hosts::Any);
        if catch_alls.count() > 1 {
            return Err(ArgError("only one --route may be *".into()));
        }
        Ok(args)
    }
}

fn socket_addr(flag: &str, value: &str) -> Result<SocketAddr, ArgError> {
    let bad = |why: String| ArgError(format!("{flag} {value:?}: {why}"));
    let mut addrs = value.to_socket_addrs().map_err(|e| bad(e.to_string()))?;
    addrs
        .next()
        .ok_or_else(|| bad("resolves to no address".into()))
}

fn route(value: &str) -> Result<RouteArg, ArgError> {
    let bad = |why: String| ArgError(format!("--route {value:?}: {why}"));
    let (host, upstreams) = (value.split_once('='))
        .ok_or_else(|| bad("expected HOST=UPSTREAM[,UPSTREAM...]".into()))?;
    let hosts = if host == "*" {
        Hosts::Any
    } else {
        Hosts::Pattern(host.parse().map_err(|e| bad(format!("{e}")))?)
    };
    let mut list = Vec::new();
    for upstream in upstreams.split(',') {
        let addr = socket_addr("upstream", upstream).map_err(|e| bad(e.to_string()))?;
        list.push(Upstream { addr });
    }
    Ok(RouteArg {
        hosts,
        upstreams: list,
    })
}

fn threads(value: &str) -> Result<usize, ArgError> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ArgError(format!(
            "--threads {value:?}: expected a whole number above 0"
        ))),
    }
}

fn duration(flag: &str, value: &str) -> Result<Duration, ArgError> {
    let (number, millis) = match value.strip_suffix("ms") {
        Some(n) => (n, true),
        None => (value.strip_suffix('s').unwrap_or(value), false),
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 && millis => Ok(Duration::from_millis(n)),
        Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
        _ => Err(ArgError(format!(
            "{flag} {value:?}: expected a duration above 0 such as 30s or 250ms"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    fn parse(line: &str) -> Result<Args, ArgError> {
        Args::parse(line.split_whitespace().map(str::to_owned))
    }

    fn error(line: &str) -> String {
        parse(line).unwrap_err().to_string()
    }

    #[test]
    fn routes_listeners_and_settings() {
        let args = parse(
            "--listen 127.0.0.1:8080 --listen 127.0.0.1:0 --threads 1 --header-timeout 250ms \
             --idle-timeout 30 --route app.example.com=127.0.0.1:3000,127.0.0.1:3001 \
             --route *.preview.example.com=127.0.0.1:4000 --route *=127.0.0.1:5000",
        )
        .unwrap();
        assert_eq!(args.listen.len(), 2);
        assert_eq!(args.threads, Some(1));
        assert_eq!(args.header_timeout, Some(Duration::from_millis(250)));
        assert_eq!(args.idle_timeout, Some(Duration::from_secs(30)));
        assert_eq!(args.routes[0].upstreams.len(), 2);
        assert!(matches!(&args.routes[1].hosts, Hosts::Pattern(p) if p.is_wildcard()));
        assert_eq!(args.routes[2].hosts, Hosts::Any);
        assert_eq!(args.tls, None);
    }

    #[test]
    fn bad_command_lines_name_the_flag() {
        assert_eq!(error("--bogus"), "unknown flag \"--bogus\"");
        assert_eq!(error("--listen"), "--listen needs a value");
        assert!(
            error("--listen nowhere --route a.test=127.0.0.1:1")
                .starts_with("--listen \"nowhere\"")
        );
        assert!(error("--listen 127.0.0.1:0 --route a.test").contains("expected HOST=UPSTREAM"));
        assert!(
            error("--listen 127.0.0.1:0 --route x=127.0.0.1:1").contains("invalid host pattern")
        );
        assert!(
            error("--listen 127.0.0.1:0 --route a.test=nowhere")
                .starts_with("--route \"a.test=nowhere\"")
        );
        assert!(
            error("--listen 127.0.0.1:0 --route a.test=127.0.0.1:1 --threads 0")
                .contains("above 0")
        );
        assert!(
            error("--listen 127.0.0.1:0 --route a.test=127.0.0.1:1 --idle-timeout 0s")
                .contains("above 0")
        );
        assert_eq!(
            error("--route a.test=127.0.0.1:1"),
            "give at least one --listen or --tls-listen"
        );
        assert_eq!(error("--listen 127.0.0.1:0"), "give at least one --route");
        assert_eq!(
            error("--listen 127.0.0.1:0 --route *=127.0.0.1:1 --route *=127.0.0.1:2"),
            "only one --route may be *"
        );
        assert_eq!(
            error("--route a.test=127.0.0.1:1 --tls-listen 127.0.0.1:0 --tls-cert c.pem"),
            "--tls-listen, --tls-cert and --tls-key go together"
        );
    }

    #[test]
    fn tls_flags_go_together() {
        let args = parse(
            "--route a.test=127.0.0.1:1 --tls-listen 127.0.0.1:0 --tls-cert c.pem --tls-key k.pem",
        )
        .unwrap();
        let tls = args.tls.unwrap();
        assert_eq!(
            (tls.cert, tls.key),
            (PathBuf::from("c.pem"), PathBuf::from("k.pem"))
        );
        assert!(parse("--help").unwrap().help);
    }
}
