//! TEMPORARY STUB — replaced by the real validated input module.
#![allow(missing_docs)]
use std::fmt;
use std::str::FromStr;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid {what} {value:?}: {reason}")]
pub struct InputError { what: &'static str, value: String, reason: String }
impl InputError {
    pub fn new(what: &'static str, value: &str, reason: impl Into<String>) -> Self { Self { what, value: value.into(), reason: reason.into() } }
}
macro_rules! stub { ($($n:ident),*) => { $(
    #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    pub struct $n(String);
    impl $n { pub fn as_str(&self) -> &str { &self.0 } }
    impl FromStr for $n { type Err = InputError; fn from_str(s: &str) -> Result<Self, InputError> { if s.is_empty() { Err(InputError::new("x", s, "empty")) } else { Ok(Self(s.into())) } } }
    impl fmt::Display for $n { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) } }
)* } }
stub!(AppName, DomainName, HostPattern, GitUrl, GitRef, EnvKey, ImageRef, PathInRepo, VolumeName, ContainerPath, HostPath, HttpPath, Email, DisplayName, MemoryLimit, CpuLimit, BuildTarget);
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Port(u16);
impl Port { pub fn get(&self) -> u16 { self.0 } }
impl FromStr for Port { type Err = InputError; fn from_str(s: &str) -> Result<Self, InputError> { s.parse().map(Self).map_err(|_| InputError::new("port", s, "bad")) } }
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CommandLine(Vec<String>);
impl CommandLine { pub fn args(&self) -> &[String] { &self.0 } }
impl TryFrom<Vec<String>> for CommandLine { type Error = InputError; fn try_from(v: Vec<String>) -> Result<Self, InputError> { Ok(Self(v)) } }
