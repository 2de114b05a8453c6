//! The server's configuration: a TOML file plus `RIVETR_*` environment
//! overrides, checked before the server starts.
//!
//! - `sections`: one struct per `[section]`, with the defaults of a
//!   single-machine setup (an empty file is a working config);
//! - `units`: [`HumanDuration`] (`"30s"`) and [`ByteSize`] (`"16MiB"`);
//! - `types`: the other values parsed at load time ([`PublicUrl`],
//!   [`TrustedNet`], [`PortRange`], [`AcmeDirectory`], ...);
//! - `load`: [`load`], environment overrides and [`ConfigError`] (with the
//!   file, line and column of a bad value);
//! - `convert`: the settings of each crate ([`Config::store_config`],
//!   [`Config::proxy_config`], [`Config::acme_config`],
//!   [`Config::engine_config`], [`Config::connect_options`]);
//! - `check`: [`Config::check`], semantic checks;
//! - `finding`: [`Finding`], one result of a check, with its fix;
//! - `selfcheck`: [`self_check`], the start-up checks against the machine;
//! - `reference`: [`Config::reference`], the table `docs/configuration.md`
//!   is generated from.
//!
//! ```
//! use rivetr_server::config::{load, Severity};
//!
//! let env = [("RIVETR_SERVER__DATA_DIR".to_owned(), "/srv/rivetr".to_owned())];
//! let config = load(None, env)?;
//! assert_eq!(config.database_url(), "sqlite:///srv/rivetr/rivetr.db");
//! assert!(config.check().iter().all(|f| f.severity != Severity::Error));
//! # Ok::<(), rivetr_server::config::ConfigError>(())
//! ```

mod check;
mod convert;
mod finding;
mod load;
mod reference;
mod sections;
mod selfcheck;
mod types;
mod units;

use serde::{Deserialize, Serialize};

pub use self::finding::{Finding, Severity};
pub use self::load::{ConfigError, ENV_PREFIX, load, load_str};
pub use self::reference::{ReferenceEntry, ValueKind, render_reference};
pub use self::sections::{
    AcmeSection, AuthSection, EngineSection, LogSection, MetricsSection, ProxySection,
    RuntimeSection, ServerSection, StoreLogsSection, StoreSection,
};
pub use self::selfcheck::self_check;
pub use self::types::{
    AcmeDirectory, Challenge, LogFormat, PortRange, PublicHost, PublicUrl, Secret, TrustedNet,
};
pub use self::units::{ByteSize, HumanDuration, UnitError};

/// The whole configuration. [`Default`] is what an empty file gives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[server]`.
    pub server: ServerSection,
    /// `[store]`.
    pub store: StoreSection,
    /// `[proxy]` (and `[proxy.acme]`).
    pub proxy: ProxySection,
    /// `[runtime]`.
    pub runtime: RuntimeSection,
    /// `[engine]`.
    pub engine: EngineSection,
    /// `[auth]`.
    pub auth: AuthSection,
    /// `[metrics]`.
    pub metrics: MetricsSection,
    /// `[log]`.
    pub log: LogSection,
}
