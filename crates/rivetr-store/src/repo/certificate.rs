//! `CertificateRepo` on SQL: certificates keyed by (key, directory URL) and
//! ACME account keys keyed by (contact list as JSON text, directory URL),
//! both sealed ([`crate::seal`]) and bound to their key columns, so the
//! upserts below keep every sealed value at the place it was sealed for.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::model::{CertificateInfo, SecretString, StoredCertificate};
use rivetr_core::store::{CertificateRepo, contract};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, QuerySelect, Set};

use crate::SqlStore;
use crate::codec;
use crate::entity::{acme_accounts, certificates};
use crate::error::DbContext;

const DOING: &str = "read or change certificates";

/// Where the PEM of certificate (`key`, `directory_url`) is sealed.
fn pem_place(key: &str, directory_url: &str) -> String {
    crate::seal::place("certificates", "pem_sealed", &[&key, &directory_url])
}

/// Where the ACME account key for (`contact`, `directory_url`) is sealed;
/// `contact` is the stored JSON text of the contact list.
fn account_place(contact: &str, directory_url: &str) -> String {
    crate::seal::place("acme_accounts", "key_sealed", &[&contact, &directory_url])
}

#[async_trait]
impl CertificateRepo for SqlStore {
    async fn put_certificate(&self, scope: &Scope, cert: StoredCertificate) -> Result<()> {
        scope.require_system(DOING)?;
        contract::line(
            "a certificate key",
            &cert.key,
            contract::MAX_CERTIFICATE_KEY,
        )?;
        contract::line(
            "an ACME directory URL",
            &cert.directory_url,
            contract::MAX_CERTIFICATE_KEY,
        )?;
        let sealed = self.seal_secret(
            &pem_place(&cert.key, &cert.directory_url),
            &cert.pem,
            "a certificate",
        )?;
        let row = certificates::ActiveModel {
            key: Set(cert.key),
            directory_url: Set(cert.directory_url),
            pem_sealed: Set(sealed),
            not_after: Set(codec::micros(cert.not_after)),
            updated_at: Set(codec::now()),
        };
        certificates::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    certificates::Column::Key,
                    certificates::Column::DirectoryUrl,
                ])
                .update_columns([
                    certificates::Column::PemSealed,
                    certificates::Column::NotAfter,
                    certificates::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&self.db().write)
            .await
            .during("storing the certificate")?;
        Ok(())
    }

    async fn get_certificate(
        &self,
        scope: &Scope,
        key: &str,
        directory_url: &str,
    ) -> Result<Option<StoredCertificate>> {
        scope.require_system(DOING)?;
        let Some(row) =
            certificates::Entity::find_by_id((key.to_owned(), directory_url.to_owned()))
                .one(&self.db().read)
                .await
                .during("reading the certificate")?
        else {
            return Ok(None);
        };
        let pem = self.open_secret(
            &pem_place(&row.key, &row.directory_url),
            &row.pem_sealed,
            &format!("the certificate {key} from {directory_url}"),
        )?;
        Ok(Some(StoredCertificate {
            key: row.key,
            directory_url: row.directory_url,
            pem,
            not_after: row.not_after,
        }))
    }

    async fn list_certificates(&self, scope: &Scope) -> Result<Vec<CertificateInfo>> {
        scope.require_system(DOING)?;
        let rows: Vec<(
            String,
            String,
            chrono::DateTime<chrono::Utc>,
            chrono::DateTime<chrono::Utc>,
        )> = certificates::Entity::find()
            .select_only()
            .columns([
                certificates::Column::Key,
                certificates::Column::DirectoryUrl,
                certificates::Column::NotAfter,
                certificates::Column::UpdatedAt,
            ])
            .into_tuple()
            .all(&self.db().read)
            .await
            .during("listing certificates")?;
        let mut listed: Vec<CertificateInfo> = rows
            .into_iter()
            .map(
                |(key, directory_url, not_after, updated_at)| CertificateInfo {
                    key,
                    directory_url,
                    not_after,
                    updated_at,
                },
            )
            .collect();
        // By key, then directory, in byte order, whatever collation the
        // database uses.
        listed.sort_by(|a, b| (&a.key, &a.directory_url).cmp(&(&b.key, &b.directory_url)));
        Ok(listed)
    }

    async fn delete_certificate(
        &self,
        scope: &Scope,
        key: &str,
        directory_url: &str,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        let deleted =
            certificates::Entity::delete_by_id((key.to_owned(), directory_url.to_owned()))
                .exec(&self.db().write)
                .await
                .during("deleting the certificate")?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!(
                "certificate {key} from {directory_url}"
            )));
        }
        Ok(())
    }

    async fn put_acme_account(
        &self,
        scope: &Scope,
        contact: Vec<String>,
        directory_url: &str,
        key: SecretString,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        contract::line(
            "an ACME directory URL",
            directory_url,
            contract::MAX_CERTIFICATE_KEY,
        )?;
        let contact = codec::json_text(&contact)?;
        let sealed = self.seal_secret(
            &account_place(&contact, directory_url),
            &key,
            "an ACME account key",
        )?;
        let row = acme_accounts::ActiveModel {
            contact: Set(contact),
            directory_url: Set(directory_url.to_owned()),
            key_sealed: Set(sealed),
            created_at: Set(codec::now()),
        };
        acme_accounts::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    acme_accounts::Column::Contact,
                    acme_accounts::Column::DirectoryUrl,
                ])
                .update_column(acme_accounts::Column::KeySealed)
                .to_owned(),
            )
            .exec_without_returning(&self.db().write)
            .await
            .during("storing the ACME account key")?;
        Ok(())
    }

    async fn get_acme_account(
        &self,
        scope: &Scope,
        contact: &[String],
        directory_url: &str,
    ) -> Result<Option<SecretString>> {
        scope.require_system(DOING)?;
        let contact = codec::json_text(&contact)?;
        let Some(row) = acme_accounts::Entity::find_by_id((contact, directory_url.to_owned()))
            .one(&self.db().read)
            .await
            .during("reading the ACME account key")?
        else {
            return Ok(None);
        };
        self.open_secret(
            &account_place(&row.contact, &row.directory_url),
            &row.key_sealed,
            &format!("the ACME account key for {directory_url}"),
        )
        .map(Some)
    }
}
