//! `env_vars`: An env var: a plain `value`, or a `sealed` one when secret.

use sea_orm::entity::prelude::*;

/// A row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "env_vars")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub team_id: Uuid,
    pub key: String,
    pub value: Option<String>,
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub sealed: Option<Vec<u8>>,
    pub secret: bool,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated: repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
