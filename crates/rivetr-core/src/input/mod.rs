//! Validated input: every user string that reaches Docker, git, the file
//! system, the proxy or a notifier is parsed into a type that can only hold a
//! valid value.
//!
//! # Principles
//!
//! - **Parse, don't validate.** A value is checked once, where it enters
//!   (API, CLI, webhook, configuration file, database row), and from then on
//!   its type is the proof: an [`AppName`] is a DNS label, a [`PathInRepo`]
//!   cannot climb out of the checkout. Fields are private, so there is no other
//!   way to make one than through the checks.
//! - **No shell, ever.** Programs are run as `Command::new(program).args(…)`
//!   with `--` before positional arguments, and Docker is driven through its
//!   API. The types still refuse what a shell or a command-line parser would
//!   interpret (metacharacters such as `;`, `$` and backticks, line breaks,
//!   NUL, a leading `-`) wherever the value has no use for it, as a second
//!   line of defence.
//! - **Errors a user can act on.** Every refusal is one [`InputError`] naming
//!   the kind of value, the offending character and its position, the limit
//!   that was exceeded, and how to fix it.
//!
//! Every string type implements `FromStr`, `TryFrom<String>`, `TryFrom<&str>`,
//! `Display`, `AsRef<str>` and has `as_str()`; serde serializes it as its
//! string and deserializes with the same checks, so stored data cannot bypass
//! them. Number-like types ([`Port`], [`MemoryLimit`], [`CpuLimit`]) and
//! [`CommandLine`] document their own forms.
//!
//! # The types
//!
//! | Type | What it holds | Where it is used |
//! | --- | --- | --- |
//! | [`AppName`] | DNS label, `[a-z0-9-]`, 1–63 | container names, network aliases, subdomains |
//! | [`DomainName`] | host name, lowercase, punycode for Unicode, no mixed scripts | proxy routes, TLS certificates |
//! | [`HostPattern`] | a [`DomainName`] or `*.domain` | proxy routes |
//! | [`GitUrl`] | https, http, ssh, scp-like or file URL, no credentials | source fetcher (`git clone`) |
//! | [`GitUrlPolicy`] | which git URL schemes the instance allows | API edge, source fetcher |
//! | [`GitRef`] | branch, tag or commit id | source fetcher, webhooks |
//! | [`EnvKey`] | `[A-Za-z_][A-Za-z0-9_]*` | environment variables, build arguments |
//! | [`ImageRef`] | `[registry/]path[:tag][@sha256:…]` | image apps, build output |
//! | [`PathInRepo`] | relative path, no `..` | Dockerfile path, base directory, watch paths |
//! | [`Port`] | 1–65535 | container ports, proxy upstreams |
//! | [`BuildTarget`] | Dockerfile stage name | multi-stage builds |
//! | [`VolumeName`] | Docker volume name | named volumes |
//! | [`ContainerPath`] | absolute path in a container | mount targets |
//! | [`HostPath`] | absolute path on the host | bind-mount sources, allowed roots |
//! | [`HttpPath`] | `/path?query`, visible ASCII | health checks |
//! | [`Email`] | `local@domain` | accounts, notifications |
//! | [`DisplayName`] | trimmed free text, no control characters | names of projects, teams, environments, tokens |
//! | [`MemoryLimit`] | bytes, at least 6 MiB | container memory limit |
//! | [`CpuLimit`] | millicores, up to 1024 CPUs | container CPU limit |
//! | [`CommandLine`] | argument vector, no shell | container command |
//!
//! [`punycode`] holds the RFC 3492 encoder and decoder behind [`DomainName`].

#[macro_use]
mod macros;
pub(crate) use macros::string_type;

mod abs_path;
mod app_name;
mod build_target;
mod command_line;
mod container_path;
mod cpu_limit;
mod display_name;
mod domain_name;
mod email;
mod env_key;
mod error;
mod git_ref;
mod git_url;
mod git_url_policy;
mod git_url_syntax;
mod host_path;
mod host_pattern;
mod http_path;
mod image_ref;
mod image_ref_syntax;
mod memory_limit;
mod path_in_repo;
mod port;
pub mod punycode;
mod rules;
mod script;
mod volume_name;

pub use app_name::AppName;
pub use build_target::BuildTarget;
pub use command_line::CommandLine;
pub use container_path::ContainerPath;
pub use cpu_limit::CpuLimit;
pub use display_name::DisplayName;
pub use domain_name::DomainName;
pub use email::Email;
pub use env_key::EnvKey;
pub use error::InputError;
pub use git_ref::GitRef;
pub use git_url::{GitScheme, GitUrl};
pub use git_url_policy::GitUrlPolicy;
pub use host_path::HostPath;
pub use host_pattern::HostPattern;
pub use http_path::HttpPath;
pub use image_ref::ImageRef;
pub use memory_limit::MemoryLimit;
pub use path_in_repo::PathInRepo;
pub use port::Port;
pub use volume_name::VolumeName;
