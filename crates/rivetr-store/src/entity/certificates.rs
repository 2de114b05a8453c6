//! `certificates`: A certificate chain and key (sealed), per domain set and ACME directory.

use sea_orm::entity::prelude::*;

/// A row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub directory_url: String,
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub pem_sealed: Vec<u8>,
    pub not_after: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated: repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
