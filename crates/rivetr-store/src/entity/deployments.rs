//! `deployments`: A deployment; `trigger`, `commit_info` and `containers` are JSON.

use sea_orm::entity::prelude::*;

/// A row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deployments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub team_id: Uuid,
    pub number: i64,
    #[sea_orm(column_type = "Text")]
    pub trigger: String,
    pub requested_by: Option<Uuid>,
    pub status: String,
    pub reason: Option<String>,
    pub commit_info: Option<String>,
    pub image: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub containers: String,
    pub log_lines: i64,
    pub log_bytes: i64,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

/// No relations are navigated: repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
