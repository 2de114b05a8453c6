//! `LogRepo` on SQL: deployment logs in bounded chunks, and pruning them.
//!
//! Each `append_logs` call writes its lines as new `log_chunks` rows of at
//! most [`LogLimits::lines_per_chunk`] lines and
//! [`LogLimits::bytes_per_chunk`] bytes of text (a single longer line is a
//! chunk of its own); stored chunks are never rewritten. A chunk's `lines`
//! column is a JSON array of [`StoredLine`]s; line `i` of a chunk has
//! sequence number `first_seq + i`.
//!
//! `deployments.log_lines` is the last sequence number handed out and
//! `deployments.log_bytes` the part of the deployment's byte budget
//! ([`LogLimits::bytes_per_deployment`]) used: the bytes of text stored, and
//! once the log has been truncated the whole budget plus the notice, so a
//! truncated log is one whose `log_bytes` exceeds the budget. Both change in
//! the transaction that inserts the chunks, with the deployment's row
//! locked (PostgreSQL; SQLite has one writer), so concurrent appends number
//! their lines without gaps or repeats.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::DeploymentId;
use rivetr_core::model::{Action, DeploymentStatus, LogLine, LogStream, NewLogLine};
use rivetr_core::store::LogRepo;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::deployment::deployment_row;
use crate::codec::{self, uuid_of};
use crate::entity::{apps, deployments, log_chunks};
use crate::error::DbContext;
use crate::{LogLimits, SqlStore};

/// Chunk rows inserted by one statement (keeps the bound parameters well
/// under both backends' limits).
const CHUNKS_PER_INSERT: usize = 100;

/// Deployments whose chunks one pruning statement deletes.
const DEPLOYMENTS_PER_DELETE: usize = 200;

/// One line inside a chunk, as the compact JSON array
/// `[at (microseconds since the epoch), step, stream, text]`.
#[derive(Debug, Serialize, Deserialize)]
struct StoredLine(i64, DeploymentStatus, LogStream, String);

impl StoredLine {
    fn of(line: &LogLine) -> Self {
        Self(
            line.at.timestamp_micros(),
            line.step,
            line.stream,
            line.text.clone(),
        )
    }

    fn into_line(self, deployment_id: DeploymentId, seq: u64) -> Result<LogLine> {
        let Self(at, step, stream, text) = self;
        let at = DateTime::<Utc>::from_timestamp_micros(at)
            .ok_or_else(|| codec::corrupt("log line time", &at.to_string()))?;
        Ok(LogLine {
            deployment_id,
            seq,
            at,
            step,
            stream,
            text,
        })
    }
}

/// The line stored in place of everything past the deployment's budget.
fn truncation_notice(budget: u64) -> String {
    format!(
        "log truncated: the rest of this deployment's log exceeded {budget} bytes and was dropped"
    )
}

/// `lines` numbered from `first`, cut at the deployment's byte budget
/// (`used` of it already taken), and the budget used afterwards. The
/// first line that does not fit is replaced by one truncation notice; a
/// log already truncated stores nothing more.
fn number_lines(
    deployment: DeploymentId,
    lines: Vec<NewLogLine>,
    first: u64,
    mut used: u64,
    budget: u64,
) -> (Vec<LogLine>, u64) {
    let mut stored = Vec::with_capacity(lines.len());
    if used > budget {
        return (stored, used);
    }
    for (line, seq) in lines.into_iter().zip(first..) {
        let size = line.text.len() as u64;
        if used.saturating_add(size) > budget {
            let text = truncation_notice(budget);
            used = budget.saturating_add(text.len() as u64);
            stored.push(LogLine {
                deployment_id: deployment,
                seq,
                at: codec::now(),
                step: line.step,
                stream: LogStream::System,
                text,
            });
            break;
        }
        used += size;
        stored.push(LogLine {
            deployment_id: deployment,
            seq,
            at: codec::micros(line.at),
            step: line.step,
            stream: line.stream,
            text: line.text,
        });
    }
    (stored, used)
}

/// `lines` split into runs within the chunk limits.
fn chunked<'a>(lines: &'a [LogLine], limits: &LogLimits) -> Vec<&'a [LogLine]> {
    let max_lines = usize::try_from(limits.lines_per_chunk.max(1)).unwrap_or(usize::MAX);
    let max_bytes = u64::from(limits.bytes_per_chunk);
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, line) in lines.iter().enumerate() {
        let size = line.text.len() as u64;
        if i > start && (i - start >= max_lines || bytes + size > max_bytes) {
            chunks.push(&lines[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < lines.len() {
        chunks.push(&lines[start..]);
    }
    chunks
}

/// The row of one chunk.
fn chunk_row(
    deployment: Uuid,
    lines: &[LogLine],
    now: DateTime<Utc>,
) -> Result<log_chunks::ActiveModel> {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Err(Error::internal("an empty log chunk"));
    };
    let bytes: usize = lines.iter().map(|l| l.text.len()).sum();
    let records: Vec<StoredLine> = lines.iter().map(StoredLine::of).collect();
    Ok(log_chunks::ActiveModel {
        deployment_id: Set(deployment),
        first_seq: Set(codec::to_i64(first.seq)?),
        last_seq: Set(codec::to_i64(last.seq)?),
        bytes: Set(i32::try_from(bytes).map_err(|_| {
            Error::invalid_input(format!(
                "a log chunk of {bytes} bytes is too large to store"
            ))
        })?),
        lines: Set(codec::json_text(&records)?),
        created_at: Set(now),
    })
}

#[async_trait]
impl LogRepo for SqlStore {
    async fn append_logs(
        &self,
        scope: &Scope,
        deployment: DeploymentId,
        lines: Vec<NewLogLine>,
    ) -> Result<Vec<LogLine>> {
        let limits = self.config().logs;
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        let row = deployment_row(&txn, scope, deployment, Action::Deploy, true).await?;
        let first = codec::to_u64(row.log_lines, "deployment log line count")? + 1;
        let used = codec::to_u64(row.log_bytes, "deployment log byte count")?;
        let (stored, used) =
            number_lines(deployment, lines, first, used, limits.bytes_per_deployment);
        let Some(last) = stored.last() else {
            return Ok(stored);
        };
        let now = codec::now();
        let rows = chunked(&stored, &limits)
            .into_iter()
            .map(|lines| chunk_row(row.id, lines, now))
            .collect::<Result<Vec<_>>>()?;
        for batch in rows.chunks(CHUNKS_PER_INSERT) {
            log_chunks::Entity::insert_many(batch.iter().cloned())
                .exec_without_returning(&txn)
                .await
                .during("storing log lines")?;
        }
        deployments::Entity::update_many()
            .col_expr(
                deployments::Column::LogLines,
                Expr::value(codec::to_i64(last.seq)?),
            )
            .col_expr(
                deployments::Column::LogBytes,
                Expr::value(codec::to_i64(used)?),
            )
            .filter(deployments::Column::Id.eq(row.id))
            .exec(&txn)
            .await
            .during("storing log lines")?;
        txn.commit().await.during("storing log lines")?;
        Ok(stored)
    }

    async fn read_logs(
        &self,
        scope: &Scope,
        deployment: DeploymentId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<LogLine>> {
        let db = &self.db().read;
        deployment_row(db, scope, deployment, Action::Read, false).await?;
        let Ok(from) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Sequence numbers have no gaps, so lines after+1 ..= after+limit
        // are exactly in the chunks whose ranges meet that window.
        let through = from.saturating_add(i64::from(limit));
        let chunks = log_chunks::Entity::find()
            .filter(log_chunks::Column::DeploymentId.eq(uuid_of(deployment)))
            .filter(log_chunks::Column::LastSeq.gt(from))
            .filter(log_chunks::Column::FirstSeq.lte(through))
            .order_by_asc(log_chunks::Column::LastSeq)
            .all(db)
            .await
            .during("reading log lines")?;
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut lines = Vec::with_capacity(wanted.min(4096));
        for chunk in chunks {
            let records: Vec<StoredLine> = codec::parse_json(&chunk.lines, "log chunk")?;
            let first = codec::to_u64(chunk.first_seq, "log chunk start")?;
            if chunk.last_seq - chunk.first_seq + 1 != records.len() as i64 {
                return Err(codec::corrupt("log chunk", &chunk.first_seq.to_string()));
            }
            for (record, seq) in records.into_iter().zip(first..) {
                if seq > after && lines.len() < wanted {
                    lines.push(record.into_line(deployment, seq)?);
                }
            }
        }
        Ok(lines)
    }
}

/// What [`SqlStore::prune_logs`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Deployments whose logs were deleted.
    pub deployments: u64,
    /// Log chunk rows deleted.
    pub chunks: u64,
}

impl SqlStore {
    /// Delete the logs of finished deployments that are past
    /// [`LogLimits::retention`], keeping each app's
    /// [`LogLimits::keep_per_app`] newest deployments whatever their age.
    ///
    /// A deployment's log is deleted when its status is terminal (replaced,
    /// rolled back, failed, cancelled, superseded) and it finished longer
    /// than the retention ago. Only the log lines go: the deployment rows
    /// stay, and the sequence numbers of their logs are never reused.
    /// Meant to run from time to time (a scheduled job); deletes in batches
    /// so SQLite's single writer is not held for long.
    ///
    /// # Errors
    ///
    /// The database could not be read or written; what was deleted before
    /// the error stays deleted.
    pub async fn prune_logs(&self) -> rivetr_core::Result<PruneReport> {
        let limits = self.config().logs;
        let mut report = PruneReport::default();
        let cutoff = TimeDelta::from_std(limits.retention)
            .ok()
            .and_then(|retention| codec::now().checked_sub_signed(retention));
        let Some(cutoff) = cutoff else {
            return Ok(report);
        };
        let terminal = DeploymentStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .map(DeploymentStatus::as_str);
        let has_chunks = Query::select()
            .expr(Expr::val(1))
            .from(log_chunks::Entity)
            .and_where(
                Expr::col((log_chunks::Entity, log_chunks::Column::DeploymentId))
                    .equals((deployments::Entity, deployments::Column::Id)),
            )
            .to_owned();
        // Numbers per app are 1..=last_deployment_number without gaps
        // (deployments are deleted only with their app), so the newest
        // `keep_per_app` are those above last - keep_per_app.
        let newest_kept = Expr::col((apps::Entity, apps::Column::LastDeploymentNumber))
            .sub(i64::from(limits.keep_per_app));
        let app_of = deployments::Entity::belongs_to(apps::Entity)
            .from(deployments::Column::AppId)
            .to(apps::Column::Id)
            .into();
        let old: Vec<Uuid> = deployments::Entity::find()
            .select_only()
            .column(deployments::Column::Id)
            .join(JoinType::InnerJoin, app_of)
            .filter(deployments::Column::Status.is_in(terminal))
            .filter(deployments::Column::FinishedAt.lt(cutoff))
            .filter(Expr::col((deployments::Entity, deployments::Column::Number)).lte(newest_kept))
            .filter(Expr::exists(has_chunks))
            .into_tuple()
            .all(&self.db().read)
            .await
            .during("finding logs to prune")?;
        for batch in old.chunks(DEPLOYMENTS_PER_DELETE) {
            let deleted = log_chunks::Entity::delete_many()
                .filter(log_chunks::Column::DeploymentId.is_in(batch.iter().copied()))
                .exec(&self.db().write)
                .await
                .during("pruning logs")?;
            report.deployments += batch.len() as u64;
            report.chunks += deleted.rows_affected;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_lines(texts: &[&str]) -> Vec<NewLogLine> {
        texts
            .iter()
            .map(|text| NewLogLine {
                at: Utc::now(),
                step: DeploymentStatus::Building,
                stream: LogStream::Stderr,
                text: (*text).to_owned(),
            })
            .collect()
    }

    fn sizes(chunks: &[&[LogLine]]) -> Vec<usize> {
        chunks.iter().map(|c| c.len()).collect()
    }

    #[test]
    fn chunks_close_at_the_line_or_byte_limit_and_a_long_line_stands_alone() {
        let d = DeploymentId::new();
        let mut limits = LogLimits {
            lines_per_chunk: 3,
            bytes_per_chunk: 10,
            ..LogLimits::default()
        };
        let texts = [
            "a",
            "b",
            "c",
            "d",
            "0123456789abc",
            "e",
            "12345",
            "67890",
            "x",
        ];
        let (lines, _) = number_lines(d, new_lines(&texts), 1, 0, u64::MAX);
        // 3 lines; "d" alone before the 13-byte line; the long line alone;
        // "e" + "12345" (6 bytes) then "67890" would make 11; "67890" + "x".
        assert_eq!(sizes(&chunked(&lines, &limits)), [3, 1, 1, 2, 2]);
        limits.lines_per_chunk = 0;
        assert_eq!(chunked(&lines, &limits).len(), lines.len());
        assert!(chunked(&[], &limits).is_empty());
    }

    #[test]
    fn lines_past_the_budget_become_one_notice() {
        let d = DeploymentId::new();
        let (lines, used) = number_lines(d, new_lines(&["abc", "def", "ghi"]), 7, 2, 8);
        // 2 + 3 + 3 fills the budget of 8 exactly; "ghi" does not fit.
        let seqs: Vec<u64> = lines.iter().map(|l| l.seq).collect();
        assert_eq!(seqs, [7, 8, 9]);
        assert_eq!(
            (lines[0].text.as_str(), lines[1].text.as_str()),
            ("abc", "def")
        );
        let notice = &lines[2];
        assert_eq!(notice.stream, LogStream::System);
        assert_eq!(notice.step, DeploymentStatus::Building);
        assert!(notice.text.contains("exceeded 8 bytes"), "{}", notice.text);
        assert!(used > 8, "a truncated log has spent its budget");
        let (after, same) = number_lines(d, new_lines(&[""]), 10, used, 8);
        assert!(after.is_empty() && same == used);
    }

    #[test]
    fn stored_lines_round_trip_at_microsecond_precision() {
        let d = DeploymentId::new();
        let (lines, _) = number_lines(d, new_lines(&["hello"]), 1, 0, 100);
        let json = codec::json_text(&vec![StoredLine::of(&lines[0])]).unwrap();
        let back: Vec<StoredLine> = codec::parse_json(&json, "chunk").unwrap();
        let line = back.into_iter().next().unwrap().into_line(d, 1).unwrap();
        assert_eq!(line, lines[0]);
        assert!(json.contains(r#""building","stderr","hello""#), "{json}");
    }
}
