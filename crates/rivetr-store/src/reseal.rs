//! [`SqlStore::reseal`]: re-seal every sealed value under the current key,
//! the step between [`KeyFile::rotate`](crate::seal::KeyFile::rotate) and
//! [`KeyFile::retire`](crate::seal::KeyFile::retire).

use std::fmt;

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, OnConflict, Order, Query, SimpleExpr};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, EntityTrait, QueryResult, Set, TransactionTrait, Value,
};

use crate::entity::sealing_keys;
use crate::error::StoreError;
use crate::seal::Sealer;
use crate::{CHECK_VALUE, SqlStore, check_place};

/// What [`SqlStore::reseal`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Values that were sealed by an older key and now are by the current
    /// one.
    pub resealed: u64,
    /// Values that were already sealed by the current key (left as they
    /// were).
    pub already_current: u64,
}

/// Rows read and rewritten per transaction.
const BATCH: u64 = 200;

/// The type of a column that names a row.
#[derive(Clone, Copy, Debug)]
enum KeyType {
    Uuid,
    Text,
}

/// A column of sealed values.
///
/// A value is bound to the place `{table}.{sealed}:{k1}:{k2}...`: the
/// table, the column and the values of `keys` (which are unique together)
/// in their order, as text. The repository that writes the column must
/// seal with exactly that place.
#[derive(Debug)]
struct SealedColumn {
    table: &'static str,
    keys: &'static [(&'static str, KeyType)],
    sealed: &'static str,
}

/// Every column that holds sealed values; a new one is one more entry.
const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "env_vars",
        keys: &[("app_id", KeyType::Uuid), ("key", KeyType::Text)],
        sealed: "sealed",
    },
    SealedColumn {
        table: "user_credentials",
        keys: &[("user_id", KeyType::Uuid)],
        sealed: "totp_sealed",
    },
    SealedColumn {
        table: "certificates",
        keys: &[("key", KeyType::Text), ("directory_url", KeyType::Text)],
        sealed: "pem_sealed",
    },
    SealedColumn {
        table: "acme_accounts",
        keys: &[("contact", KeyType::Text), ("directory_url", KeyType::Text)],
        sealed: "key_sealed",
    },
    SealedColumn {
        table: "credentials",
        keys: &[("id", KeyType::Uuid)],
        sealed: "value_sealed",
    },
    SealedColumn {
        table: "notification_channels",
        keys: &[("id", KeyType::Uuid)],
        sealed: "config_sealed",
    },
];

/// The value of a key column of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyValue {
    Uuid(uuid::Uuid),
    Text(String),
}

impl KeyValue {
    fn read(row: &QueryResult, column: &str, ty: KeyType) -> Result<Self, sea_orm::DbErr> {
        Ok(match ty {
            KeyType::Uuid => Self::Uuid(row.try_get("", column)?),
            KeyType::Text => Self::Text(row.try_get("", column)?),
        })
    }

    fn value(&self) -> Value {
        match self {
            Self::Uuid(id) => (*id).into(),
            Self::Text(text) => text.clone().into(),
        }
    }
}

impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uuid(id) => fmt::Display::fmt(id, f),
            Self::Text(text) => f.write_str(text),
        }
    }
}

/// One sealed value and the row it is in.
struct SealedRow {
    keys: Vec<KeyValue>,
    sealed: Vec<u8>,
}

impl SealedColumn {
    fn place(&self, keys: &[KeyValue]) -> String {
        let keys: Vec<&dyn fmt::Display> = keys.iter().map(|k| k as &dyn fmt::Display).collect();
        crate::seal::place(self.table, self.sealed, &keys)
    }

    fn key_exprs(&self) -> Vec<SimpleExpr> {
        self.keys
            .iter()
            .map(|(column, _)| Expr::col(Alias::new(*column)).into())
            .collect()
    }

    /// Up to [`BATCH`] sealed values after the row `after`, in key order.
    async fn batch(
        &self,
        txn: &DatabaseTransaction,
        after: Option<&[KeyValue]>,
    ) -> Result<Vec<SealedRow>, StoreError> {
        let mut query = Query::select();
        for (column, _) in self.keys {
            query
                .column(Alias::new(*column))
                .order_by(Alias::new(*column), Order::Asc);
        }
        query
            .column(Alias::new(self.sealed))
            .from(Alias::new(self.table))
            .and_where(Expr::col(Alias::new(self.sealed)).is_not_null())
            .limit(BATCH);
        if let Some(after) = after {
            let last = after.iter().map(|k| SimpleExpr::Value(k.value()));
            query.and_where(Expr::tuple(self.key_exprs()).gt(Expr::tuple(last)));
        }
        let doing = || format!("reading sealed values of {}", self.table);
        let rows = txn
            .query_all(txn.get_database_backend().build(&query))
            .await
            .map_err(StoreError::db(doing()))?;
        rows.iter()
            .map(|row| {
                let keys = self
                    .keys
                    .iter()
                    .map(|(column, ty)| KeyValue::read(row, column, *ty))
                    .collect::<Result<Vec<_>, _>>()?;
                let sealed = row.try_get("", self.sealed)?;
                Ok(SealedRow { keys, sealed })
            })
            .collect::<Result<_, sea_orm::DbErr>>()
            .map_err(StoreError::db(doing()))
    }

    /// Replace `row`'s value with `sealed`, unless it changed since it was
    /// read (a concurrent write, already under the current key). Whether
    /// it was replaced.
    async fn replace(
        &self,
        txn: &DatabaseTransaction,
        row: &SealedRow,
        sealed: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let mut update = Query::update();
        update
            .table(Alias::new(self.table))
            .value(Alias::new(self.sealed), sealed);
        for ((column, _), key) in self.keys.iter().zip(&row.keys) {
            update.and_where(Expr::col(Alias::new(*column)).eq(key.value()));
        }
        update.and_where(Expr::col(Alias::new(self.sealed)).eq(row.sealed.clone()));
        let result = txn
            .execute(txn.get_database_backend().build(&update))
            .await
            .map_err(StoreError::db(format!(
                "re-sealing a value of {}",
                self.table
            )))?;
        Ok(result.rows_affected() > 0)
    }
}

impl SqlStore {
    /// Re-seal every sealed value in the database under the sealer's
    /// current key, so older keys can be retired.
    ///
    /// Works in batches, each in its own transaction; values already
    /// sealed by the current key are skipped, so an interrupted reseal can
    /// simply be run again. Finally records the current key's check value
    /// (see [`SqlStore::open`]) if it is not recorded yet.
    ///
    /// # Errors
    ///
    /// A database error, or a value that no key of the keyring opens
    /// ([`StoreError::Seal`], after logging which table and row): nothing
    /// is overwritten with garbage, and batches done before it stay done.
    pub async fn reseal(&self) -> Result<ResealReport, StoreError> {
        let mut report = ResealReport::default();
        for column in SEALED_COLUMNS {
            self.reseal_column(column, &mut report).await?;
        }
        self.record_current_check().await?;
        tracing::info!(
            key = %self.sealer().current_key(),
            resealed = report.resealed,
            already_current = report.already_current,
            "resealed the database's sealed values"
        );
        Ok(report)
    }

    async fn reseal_column(
        &self,
        column: &SealedColumn,
        report: &mut ResealReport,
    ) -> Result<(), StoreError> {
        let sealer = self.sealer();
        let current = sealer.current_key().as_str();
        let mut after: Option<Vec<KeyValue>> = None;
        loop {
            let txn = self
                .db()
                .write
                .begin()
                .await
                .map_err(StoreError::db("starting a reseal transaction"))?;
            let rows = column.batch(&txn, after.as_deref()).await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = Some(last.keys.clone());
            let full = rows.len() as u64 == BATCH;
            for row in &rows {
                if Sealer::key_of(&row.sealed).is_ok_and(|id| id == current) {
                    report.already_current += 1;
                    continue;
                }
                let place = column.place(&row.keys);
                let resealed = sealer
                    .open(place.as_bytes(), &row.sealed)
                    .and_then(|plain| sealer.seal(place.as_bytes(), &plain))
                    .map_err(|e| {
                        tracing::error!(%place, error = %e, "a sealed value cannot be resealed");
                        e
                    })?;
                if column.replace(&txn, row, resealed).await? {
                    report.resealed += 1;
                }
            }
            txn.commit()
                .await
                .map_err(StoreError::db("committing a reseal batch"))?;
            if !full {
                return Ok(());
            }
        }
    }

    /// Make sure the current key's check value is recorded (and, when it
    /// is, that the current key opens it).
    async fn record_current_check(&self) -> Result<(), StoreError> {
        let sealer = self.sealer();
        let id = sealer.current_key();
        let place = check_place(id.as_str());
        let db = &self.db().write;
        let stored = sealing_keys::Entity::find_by_id(id.as_str().to_owned())
            .one(db)
            .await
            .map_err(StoreError::db("reading sealing key checks"))?;
        if let Some(row) = stored {
            let opened = sealer.open(place.as_bytes(), &row.check);
            return match opened.as_deref() {
                Ok(CHECK_VALUE) => Ok(()),
                _ => Err(StoreError::WrongSealingKey {
                    key_id: id.to_string(),
                }),
            };
        }
        let check = sealer.seal(place.as_bytes(), CHECK_VALUE)?;
        sealing_keys::Entity::insert(sealing_keys::ActiveModel {
            key_id: Set(id.to_string()),
            check: Set(check),
            created_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::column(sealing_keys::Column::KeyId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(StoreError::db("recording the sealing key check"))?;
        Ok(())
    }
}
