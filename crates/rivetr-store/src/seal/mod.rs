//! Sealed secrets: values encrypted with AES-256-GCM before they reach the
//! database.
//!
//! A [`Sealer`] holds a keyring: the *current* [`SealingKey`], which seals
//! every new value, and older keys, which only open values sealed before a
//! rotation. Every sealed value records the id of the key that sealed it
//! and is bound to where it is stored (table, column and row) as
//! additional authenticated data, so a sealed value copied into another row
//! does not open. A wrong key fails loudly ([`SealError::WrongKey`]); it
//! never returns garbage.
//!
//! ```
//! use rivetr_store::seal::{Sealer, SealingKey};
//!
//! let sealer = Sealer::new(SealingKey::generate("k1".parse().unwrap()).unwrap());
//! let sealed = sealer.seal(b"env_vars.sealed:42", b"hunter2").unwrap();
//! assert_eq!(sealer.open(b"env_vars.sealed:42", &sealed).unwrap(), b"hunter2");
//! // Bound to its place: the same bytes do not open elsewhere.
//! assert!(sealer.open(b"env_vars.sealed:43", &sealed).is_err());
//! ```

mod key;
mod key_file;
mod place;
mod sealer;

pub use key::{KeyId, SealingKey};
pub use key_file::{KeyFile, KeyFileError};
pub use sealer::{SealError, Sealer};

pub(crate) use place::place;

#[cfg(test)]
mod tests;
