//! Sealing and opening one value, the same way in every repository.

use rivetr_core::error::{Error, Result};
use rivetr_core::model::SecretString;

use crate::SqlStore;

impl SqlStore {
    /// `secret` sealed for `place` (its table, column and row; see
    /// [`crate::seal`]); `what` names it in an error.
    pub(crate) fn seal_secret(
        &self,
        place: &str,
        secret: &SecretString,
        what: &str,
    ) -> Result<Vec<u8>> {
        self.sealer()
            .seal(place.as_bytes(), secret.expose().as_bytes())
            .map_err(|e| Error::internal(format!("sealing {what}")).with_source(e))
    }

    /// The plain text of a value sealed for `place`; one that does not open
    /// (a wrong or missing key, tampering, a value moved from another row)
    /// is an `Internal` error naming `what`, never garbage.
    pub(crate) fn open_secret(
        &self,
        place: &str,
        sealed: &[u8],
        what: &str,
    ) -> Result<SecretString> {
        let plain = self.sealer().open(place.as_bytes(), sealed).map_err(|e| {
            Error::internal(format!("{what} cannot be unsealed: {e}")).with_source(e)
        })?;
        String::from_utf8(plain)
            .map(SecretString::new)
            .map_err(|e| Error::internal(format!("{what} is not text")).with_source(e))
    }
}
