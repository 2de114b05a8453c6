//! The syntax checks behind [`GitUrl`](super::GitUrl).

use super::git_url::{GitScheme, WHAT};
use super::{InputError, rules};

const CREDENTIALS: &str = "put credentials in the app's git credentials, not in the URL";

/// Refuses whitespace, non-ASCII and shell metacharacters (`~` and the
/// brackets of IPv6 hosts excepted).
pub(super) fn check_chars(s: &str) -> Result<(), InputError> {
    let bad = |c: char| {
        !c.is_ascii_graphic() || (rules::is_shell_meta(c) && !matches!(c, '~' | '[' | ']'))
    };
    let Some((pos, c)) = rules::find(s, bad) else {
        return Ok(());
    };
    let why = if c.is_whitespace() {
        "whitespace is not allowed in a git URL (percent-encode it as %20)"
    } else if !c.is_ascii() {
        "git URLs must be ASCII (percent-encode it, or use the xn-- form of a host name)"
    } else {
        "shell metacharacters are not allowed in a git URL"
    };
    let reason = format!("contains {} at position {pos}; {why}", rules::describe(c));
    Err(InputError::new(WHAT, s, reason))
}

/// Checks what follows `scheme://`; returns the byte range of the host in it.
pub(super) fn parse_hierarchical(
    scheme: GitScheme,
    rest: &str,
) -> Result<Option<(usize, usize)>, String> {
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if scheme == GitScheme::File {
        if !authority.is_empty() {
            return Err("a file URL must look like file:///absolute/path (three slashes)".into());
        }
        if path.contains('%') {
            return Err("percent-encoding is not allowed in file URLs".into());
        }
        if path.split('/').any(|seg| seg == "..") {
            return Err("a file URL must not contain '..' path segments".into());
        }
        if path.trim_matches('/').is_empty() {
            return Err("needs the path of a repository after file://".into());
        }
        return Ok(None);
    }
    let (user, host_port, host_start) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..], at + 1),
        None => (None, authority, 0),
    };
    if let Some(user) = user {
        if user.contains(':') || scheme != GitScheme::Ssh {
            return Err(CREDENTIALS.into());
        }
        check_user(user)?;
    }
    let (host, port) = split_host_port(host_port)?;
    check_host(host)?;
    if let Some(port) = port {
        check_port(port)?;
    }
    if path.trim_matches('/').is_empty() {
        return Err("needs a repository path after the host, such as /org/repo.git".into());
    }
    check_percent(path)?;
    Ok(Some((host_start, host_start + host.len())))
}

/// Checks scp-like `[user@]host:path`, `colon` being the first `:`; returns
/// the byte range of the host.
pub(super) fn parse_scp(s: &str, colon: usize) -> Result<(usize, usize), String> {
    let (left, path) = (&s[..colon], &s[colon + 1..]);
    if path
        .split('/')
        .next()
        .is_some_and(|first| first.contains('@'))
    {
        return Err(CREDENTIALS.into()); // user:token@host:path
    }
    let (host, host_start) = match left.rfind('@') {
        Some(at) => {
            check_user(&left[..at])?;
            (&left[at + 1..], at + 1)
        }
        None => (left, 0),
    };
    if host.contains(['[', ']']) {
        return Err("brackets are not allowed in the user@host:path form; \
                    use ssh://[address]:port/path"
            .into());
    }
    check_host(host)?;
    if path.is_empty() {
        return Err("needs a repository path after ':', as in git@host:org/repo.git".into());
    }
    if path.starts_with('-') {
        return Err("the path must not start with '-' (it could be taken as an option)".into());
    }
    check_percent(path)?;
    Ok((host_start, host_start + host.len()))
}

fn check_user(user: &str) -> Result<(), String> {
    if user.is_empty() {
        return Err("has an empty user name before '@'".into());
    }
    if user.starts_with('-') {
        return Err(
            "the user name must not start with '-' (ssh could take it as an option)".into(),
        );
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    match rules::found(user, |c| !ok(c)) {
        Some(found) => Err(format!(
            "the user name may only have letters, digits, '.', '_' and '-' ({found} of the user name)"
        )),
        None => Ok(()),
    }
}

/// Splits `host[:port]` or `[ipv6][:port]`.
fn split_host_port(hp: &str) -> Result<(&str, Option<&str>), String> {
    if hp.starts_with('[') {
        let end = hp
            .find(']')
            .ok_or("has a '[' without a closing ']' in the host")?;
        let (host, rest) = hp.split_at(end + 1);
        let inner = &host[1..end];
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ":.".contains(c))
        {
            return Err("has an invalid IPv6 address in brackets".into());
        }
        return match rest.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if rest.is_empty() => Ok((host, None)),
            None => Err("has unexpected characters after the ']' of the host".into()),
        };
    }
    Ok(match hp.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (hp, None),
    })
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("has no host".into());
    }
    if host.starts_with('-') {
        return Err(
            "the host must not start with '-' (git could pass it to ssh as an option \
                    such as -oProxyCommand)"
                .into(),
        );
    }
    if host.starts_with('[') {
        return Ok(()); // checked by split_host_port
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    match rules::found(host, |c| !ok(c)) {
        Some(found) => Err(format!(
            "the host may only have letters, digits, '.', '_' and '-' ({found} of the host)"
        )),
        None => Ok(()),
    }
}

fn check_port(port: &str) -> Result<(), String> {
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!(
            "the port \"{port}\" is not a number from 1 to 65535"
        )),
    }
}

/// Refuses malformed percent-escapes and escaped control characters.
fn check_percent(path: &str) -> Result<(), String> {
    let bytes = path.as_bytes();
    for (i, _) in path.match_indices('%') {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            None => return Err("has a '%' that is not followed by two hex digits".into()),
            Some(b) if b < 0x20 || b == 0x7f => {
                return Err("contains a percent-encoded control character".into());
            }
            Some(_) => {}
        }
    }
    Ok(())
}
