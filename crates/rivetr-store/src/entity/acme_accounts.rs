//! `acme_accounts`: An ACME account key (sealed), per contact list and directory.

use sea_orm::entity::prelude::*;

/// A row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "acme_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub directory_url: String,
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub key_sealed: Vec<u8>,
    pub created_at: DateTimeUtc,
}

/// No relations are navigated: repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
