//! `webhook_deliveries`: A logged webhook delivery; `app_id` is null when
//! no app matched.

use sea_orm::entity::prelude::*;

/// A row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub team_id: Option<Uuid>,
    pub app_id: Option<Uuid>,
    pub provider: String,
    pub event: String,
    pub delivery_id: Option<String>,
    pub outcome: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub received_at: DateTimeUtc,
}

/// No relations are navigated: repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
