//! [`CommandLine`]: the command a container runs, as an argument vector.

use std::fmt;

use super::InputError;

const WHAT: &str = "command";
const MAX_ARGS: usize = 256;
const MAX_BYTES: usize = 32 * 1024;

/// The command a container runs, as an argument vector: the program, then its
/// arguments, each passed as is. There is no string form to split and no
/// shell: build it from a list (`TryFrom<Vec<String>>`, [`new`](Self::new));
/// it is serialized as a JSON array of strings. A shell, if the user wants
/// one, is just an explicit argument vector such as `["sh", "-c", "…"]`.
///
/// Refused: no arguments, an empty program, a NUL byte in any argument (it
/// cannot be passed to a process), more than 256 arguments, more than 32 KiB
/// in all.
///
/// ```
/// use rivetr_core::input::CommandLine;
///
/// let cmd = CommandLine::new(["npm", "run", "start"])?;
/// assert_eq!(cmd.args(), ["npm", "run", "start"]);
/// assert_eq!(cmd.program(), "npm");
///
/// assert!(CommandLine::new(Vec::<String>::new()).is_err());
/// assert!(CommandLine::new(["sh", "a\0b"]).is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandLine(Vec<String>);

impl CommandLine {
    /// Makes a command line from its arguments, the program first.
    ///
    /// # Errors
    ///
    /// If the arguments break one of the rules above.
    pub fn new<I, S>(args: I) -> Result<Self, InputError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::try_from(args.into_iter().map(Into::into).collect::<Vec<String>>())
    }

    /// The arguments, the program first. Never empty.
    #[must_use]
    pub fn args(&self) -> &[String] {
        &self.0
    }

    /// The program: the first argument.
    #[must_use]
    pub fn program(&self) -> &str {
        self.0.first().map_or("", String::as_str)
    }

    /// The arguments after the program.
    #[must_use]
    pub fn rest(&self) -> &[String] {
        self.0.get(1..).unwrap_or_default()
    }
}

impl TryFrom<Vec<String>> for CommandLine {
    type Error = InputError;
    fn try_from(args: Vec<String>) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, &render(&args), reason);
        match args.first() {
            None => return Err(err("needs at least the program to run".into())),
            Some(p) if p.is_empty() => {
                return Err(err("the program (the first argument) is empty".into()));
            }
            Some(_) => {}
        }
        if args.len() > MAX_ARGS {
            return Err(err(format!(
                "has {} arguments; the limit is {MAX_ARGS}",
                args.len()
            )));
        }
        let total: usize = args.iter().map(String::len).sum();
        if total > MAX_BYTES {
            return Err(err(format!(
                "is {total} bytes long in all; the limit is {MAX_BYTES} (32 KiB)"
            )));
        }
        for (i, arg) in args.iter().enumerate() {
            if let Some(pos) = arg.chars().position(|c| c == '\0') {
                return Err(err(format!(
                    "argument {} contains a NUL byte at position {}, which cannot be passed \
                     to a program",
                    i + 1,
                    pos + 1
                )));
            }
        }
        Ok(Self(args))
    }
}

impl From<CommandLine> for Vec<String> {
    fn from(c: CommandLine) -> Self {
        c.0
    }
}

/// Arguments for people to read: plain ones as they are, others quoted with
/// escapes (`npm run "my script"`). Not for a shell: there is none.
fn render(args: &[String]) -> String {
    let plain = |a: &String| {
        !a.is_empty()
            && a.chars()
                .all(|c| c.is_alphanumeric() || "_./:=@%+,-".contains(c))
    };
    let parts: Vec<String> = args
        .iter()
        .map(|a| {
            if plain(a) {
                a.clone()
            } else {
                format!("\"{}\"", a.escape_debug())
            }
        })
        .collect();
    parts.join(" ")
}

impl fmt::Display for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(&self.0))
    }
}

impl serde::Serialize for CommandLine {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for CommandLine {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let args = Vec::<String>::deserialize(deserializer)?;
        Self::try_from(args).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_arguments_as_given() {
        let c = CommandLine::new(["sh", "-c", "echo $HOME; ls | wc\n", ""]).unwrap();
        assert_eq!(c.args().len(), 4);
        assert_eq!(c.program(), "sh");
        assert_eq!(c.rest(), ["-c", "echo $HOME; ls | wc\n", ""]);
        assert_eq!(c.to_string(), "sh -c \"echo $HOME; ls | wc\\n\" \"\"");
        assert_eq!(Vec::from(c.clone()), c.args());
    }

    #[test]
    fn refuses_empty_nul_and_too_much() {
        let reason = |v: Vec<&str>| CommandLine::new(v).unwrap_err().reason().to_owned();
        assert!(reason(vec![]).contains("at least the program"));
        assert!(reason(vec!["", "x"]).contains("program"));
        assert!(reason(vec!["a", "b\0"]).contains("argument 2 contains a NUL byte at position 2"));
        assert!(reason(vec!["a"; 257]).contains("257 arguments; the limit is 256"));
        assert!(CommandLine::new(vec!["a"; 256]).is_ok());
        let big = "x".repeat(MAX_BYTES);
        assert!(reason(vec!["a", &big]).contains("the limit is 32768"));
        assert!(CommandLine::new([big]).is_ok());
    }

    #[test]
    fn serde_as_an_array() {
        let c = CommandLine::new(["node", "server.js"]).unwrap();
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"["node","server.js"]"#
        );
        assert_eq!(
            serde_json::from_str::<CommandLine>(r#"["node","server.js"]"#).unwrap(),
            c
        );
        assert!(serde_json::from_str::<CommandLine>("[]").is_err());
        assert!(serde_json::from_str::<CommandLine>(r#""node server.js""#).is_err());
    }
}
