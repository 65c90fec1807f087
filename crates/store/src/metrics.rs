//! Network performance: pushed series and their samples, the five-minute and
//! hourly rollups made from them, and the reads that draw a service's charts.
//!
//! Every point holds a minimum, a maximum, a sum and its weight (see the
//! migration), so the same arithmetic reads raw samples and either rollup.

use oneportal_domain::metrics::{Measurement, Resolution, SeriesKind};

use crate::db::Backend;
use crate::direct::Cost;
use crate::{Db, Exec, StoreError, Tx, args};

/// A pushed series OnePortal stores, as the intake needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeriesRow {
    pub id: i64,
    pub org_id: i64,
    pub service_id: i64,
    #[sqlx(try_from = "crate::stored::Stored<Measurement>")]
    pub measurement: Measurement,
    #[sqlx(try_from = "crate::stored::Stored<SeriesKind>")]
    pub kind: SeriesKind,
}

pub struct NewSeries<'a> {
    pub labels_hash: &'a str,
    pub org_id: i64,
    pub service_id: i64,
    pub measurement: Measurement,
    pub kind: SeriesKind,
    pub labels: &'a str,
    pub token_id: i64,
    pub at: i64,
}

/// The series with these labels, made on first sight (by whichever node sees it first).
pub async fn find_or_insert_series(
    db: &impl Exec,
    series: NewSeries<'_>,
) -> Result<SeriesRow, StoreError> {
    db.execute(
        "INSERT INTO metric_series (labels_hash, org_id, service_id, measurement, kind, labels, token_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (labels_hash) DO NOTHING",
        args![
            series.labels_hash,
            series.org_id,
            series.service_id,
            series.measurement.as_str(),
            series.kind.as_str(),
            series.labels,
            series.token_id,
            series.at
        ],
    )
    .await?;
    db.fetch_one(
        "SELECT id, org_id, service_id, measurement, kind FROM metric_series WHERE labels_hash = $1",
        args![series.labels_hash],
    )
    .await
}

/// One sample: series, time (Unix ms), value in OnePortal's unit.
pub type Sample = (i64, i64, f64);

/// Samples ready to insert: all of them as one JSON value, so one statement,
/// prepared once, writes a batch of any size. Made before the transaction,
/// which then holds the write lock only for the insert.
pub struct SampleBatch(Option<String>);

impl SampleBatch {
    pub fn new(samples: &[Sample]) -> SampleBatch {
        // Numbers only: this cannot fail (a non-finite value would be `null`, and the intake keeps none).
        SampleBatch(
            (!samples.is_empty())
                .then(|| serde_json::to_string(samples).unwrap_or_else(|_| "[]".into())),
        )
    }
}

/// Writes samples; one already stored for the same series and time is kept (a
/// sender's retry resends what it sent).
pub async fn insert_samples(tx: &Tx, batch: &SampleBatch) -> Result<(), StoreError> {
    let Some(json) = &batch.0 else {
        return Ok(());
    };
    let sql = match tx.backend().await {
        Backend::Sqlite => {
            "INSERT INTO metric_samples (series_id, at, value) \
             SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1) WHERE true \
             ON CONFLICT (series_id, at) DO NOTHING"
        }
        Backend::Postgres => {
            "INSERT INTO metric_samples (series_id, at, value) \
             SELECT (e ->> 0)::bigint, (e ->> 1)::bigint, (e ->> 2)::double precision \
             FROM jsonb_array_elements($1::jsonb) AS e \
             ON CONFLICT (series_id, at) DO NOTHING"
        }
    };
    tx.execute(sql, args![json.as_str()]).await?;
    Ok(())
}

/// Samples of one series step apart: for a gauge its values; for a counter the
/// increase between consecutive samples (a drop is a reset: the increase is the
/// new value, as Prometheus reads it) over the seconds between them. A counter's
/// pair more than ten minutes apart is a gap, not a rate. `$1`..`$2` is the
/// span, `$3` the step; `$filter` chooses the series.
macro_rules! points_from_samples {
    ($filter:literal) => {
        concat!(
            "SELECT d.series_id, d.at - (d.at % $3) AS bucket, \
                MIN(CASE WHEN ser.kind = 'gauge' THEN d.value ELSE d.increase * 1000 / (d.at - d.prev_at) END) AS min_value, \
                MAX(CASE WHEN ser.kind = 'gauge' THEN d.value ELSE d.increase * 1000 / (d.at - d.prev_at) END) AS max_value, \
                SUM(CASE WHEN ser.kind = 'gauge' THEN d.value ELSE d.increase END) AS sum_value, \
                SUM(CASE WHEN ser.kind = 'gauge' THEN CAST(1 AS DOUBLE PRECISION) \
                    ELSE CAST(d.at - d.prev_at AS DOUBLE PRECISION) / 1000 END) AS weight \
             FROM (SELECT x.series_id, x.at, x.value, x.prev_at, \
                     CASE WHEN x.value >= x.prev_value THEN x.value - x.prev_value ELSE x.value END AS increase \
                   FROM (SELECT s.series_id, s.at, s.value, \
                           LAG(s.at) OVER w AS prev_at, LAG(s.value) OVER w AS prev_value \
                         FROM metric_series picked CROSS JOIN metric_samples s \
                         WHERE s.series_id = picked.id AND ",
            $filter,
            " AND s.at >= $1 - 600000 AND s.at < $2 \
                         WINDOW w AS (PARTITION BY s.series_id ORDER BY s.at)) x) d \
             CROSS JOIN metric_series ser \
             WHERE ser.id = d.series_id AND d.at >= $1 \
               AND (ser.kind = 'gauge' OR (d.prev_at IS NOT NULL AND d.at - d.prev_at <= 600000)) \
             GROUP BY d.series_id, d.at - (d.at % $3)"
        )
    };
}

/// Points of one series at a step, before series of the same measurement are combined.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PointRow {
    pub series_id: i64,
    pub bucket: i64,
    pub min_value: f64,
    pub max_value: f64,
    pub sum_value: f64,
    pub weight: f64,
}

/// A point's columns in their stored order.
type PointColumns = (i64, i64, f64, f64, f64, f64);

impl PointRow {
    pub fn average(&self) -> f64 {
        self.sum_value / self.weight
    }

    fn columns(&self) -> PointColumns {
        (
            self.series_id,
            self.bucket,
            self.min_value,
            self.max_value,
            self.sum_value,
            self.weight,
        )
    }
}

/// Rollup points of a table as stored: a month of five-minute points is 8,640
/// rows a series, so how they travel decides the read's cost. SQLite's rows
/// are read where they are asked for ([`crate::direct`]). PostgreSQL's come as
/// one value: each row's columns in PostgreSQL's own binary form (`int8send`,
/// `float8send`: eight bytes each, big-endian), row after row. Rows or arrays
/// cost a decoded value per figure on the client (a third of a chart read's
/// time in a profile); these bytes cost one copy.
macro_rules! points_from_rollup {
    (sqlite, $table:literal) => {
        concat!(
            "SELECT p.series_id, p.bucket, p.min_value, p.max_value, p.sum_value, p.weight \
             FROM metric_series ser CROSS JOIN ",
            $table,
            " p WHERE p.series_id = ser.id AND ser.service_id = $3 AND ser.measurement = $4 \
               AND p.bucket >= $1 AND p.bucket < $2"
        )
    };
    (postgres, $table:literal) => {
        concat!(
            "SELECT string_agg(int8send(p.series_id) || int8send(p.bucket) || float8send(p.min_value) \
                || float8send(p.max_value) || float8send(p.sum_value) || float8send(p.weight), ''::bytea) \
             FROM metric_series ser CROSS JOIN ",
            $table,
            " p WHERE p.series_id = ser.id AND ser.service_id = $3 AND ser.measurement = $4 \
               AND p.bucket >= $1 AND p.bucket < $2"
        )
    };
}

/// Bytes of one point in `points_from_rollup!(postgres, …)`'s answer: six eight-byte values.
const PACKED_POINT_BYTES: usize = 48;

/// The points in PostgreSQL's packed answer (see `points_from_rollup!`).
fn unpack_points(packed: &[u8]) -> Result<Vec<PointRow>, StoreError> {
    if !packed.len().is_multiple_of(PACKED_POINT_BYTES) {
        return Err(StoreError::Unreadable {
            table: "metric_points".into(),
            column: "the packed points".into(),
            detail: format!(
                "{} bytes are not whole points of {PACKED_POINT_BYTES} bytes",
                packed.len()
            ),
        });
    }
    Ok(packed
        .chunks_exact(PACKED_POINT_BYTES)
        .map(|point| {
            let word =
                |n: usize| -> [u8; 8] { point[n * 8..n * 8 + 8].try_into().expect("eight bytes") };
            PointRow {
                series_id: i64::from_be_bytes(word(0)),
                bucket: i64::from_be_bytes(word(1)),
                min_value: f64::from_be_bytes(word(2)),
                max_value: f64::from_be_bytes(word(3)),
                sum_value: f64::from_be_bytes(word(4)),
                weight: f64::from_be_bytes(word(5)),
            }
        })
        .collect())
}

/// One service's points of one measurement in `[from, to)`, in steps of `step`
/// ms (for a rollup, a multiple of its width).
pub async fn points(
    db: &Db,
    service_id: i64,
    measurement: Measurement,
    resolution: Resolution,
    (from, to, step): (i64, i64, i64),
) -> Result<Vec<PointRow>, StoreError> {
    let values = args![from, to, service_id, measurement.as_str()];
    let rows = match (resolution, db) {
        (Resolution::Raw, _) => {
            let sql = concat!(
                points_from_samples!("picked.service_id = $4 AND picked.measurement = $5"),
                " ORDER BY bucket"
            );
            return db
                .fetch_all(sql, args![from, to, step, service_id, measurement.as_str()])
                .await;
        }
        (_, Db::Sqlite(_, _, direct)) => {
            let sql = match resolution {
                Resolution::Hour => points_from_rollup!(sqlite, "metric_points_1h"),
                _ => points_from_rollup!(sqlite, "metric_points_5m"),
            };
            direct.fetch_all(Cost::Scan, sql, &values, |row| {
                Ok(PointRow {
                    series_id: row.get(0)?,
                    bucket: row.get(1)?,
                    min_value: row.get(2)?,
                    max_value: row.get(3)?,
                    sum_value: row.get(4)?,
                    weight: row.get(5)?,
                })
            })?
        }
        (_, Db::Pg(pool)) => {
            let sql = match resolution {
                Resolution::Hour => points_from_rollup!(postgres, "metric_points_1h"),
                _ => points_from_rollup!(postgres, "metric_points_5m"),
            };
            let (packed,): (Option<Vec<u8>>,) = sqlx::query_as(sql)
                .bind(from)
                .bind(to)
                .bind(service_id)
                .bind(measurement.as_str())
                .fetch_one(pool)
                .await
                .map_err(|error| StoreError::reading("metric_points", error))?;
            unpack_points(packed.as_deref().unwrap_or_default())?
        }
    };
    Ok(regroup(rows, step))
}

/// Points of each series merged into whole steps of `step` ms (their extremes,
/// sums and weights combine): a step of five-minute points from them.
pub fn regroup(mut rows: Vec<PointRow>, step: i64) -> Vec<PointRow> {
    // Rows come a series at a time in time order; sorting what is sorted is a pass.
    rows.sort_by_key(|r| (r.series_id, r.bucket));
    let mut steps: Vec<PointRow> = Vec::with_capacity(rows.len());
    for row in rows {
        let bucket = row.bucket - row.bucket.rem_euclid(step);
        match steps.last_mut() {
            Some(p) if p.series_id == row.series_id && p.bucket == bucket => {
                p.min_value = p.min_value.min(row.min_value);
                p.max_value = p.max_value.max(row.max_value);
                p.sum_value += row.sum_value;
                p.weight += row.weight;
            }
            _ => steps.push(PointRow { bucket, ..row }),
        }
    }
    steps
}

/// The newest sample of a series, and the one before it (a counter's rate needs both).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LatestRow {
    pub service_id: i64,
    #[sqlx(try_from = "crate::stored::Stored<Measurement>")]
    pub measurement: Measurement,
    #[sqlx(try_from = "crate::stored::Stored<SeriesKind>")]
    pub kind: SeriesKind,
    pub at: i64,
    pub value: f64,
    pub prev_at: Option<i64>,
    pub prev_value: Option<f64>,
}

/// The newest sample since `since` of each series of an organization.
pub async fn latest(db: &impl Exec, org_id: i64, since: i64) -> Result<Vec<LatestRow>, StoreError> {
    db.fetch_all(
        "SELECT ser.service_id, ser.measurement, ser.kind, l.at, l.value, l.prev_at, l.prev_value \
         FROM (SELECT s.series_id, s.at, s.value, LAG(s.at) OVER w AS prev_at, LAG(s.value) OVER w AS prev_value, \
                 ROW_NUMBER() OVER (PARTITION BY s.series_id ORDER BY s.at DESC) AS newest \
               FROM metric_series picked CROSS JOIN metric_samples s \
               WHERE s.series_id = picked.id AND picked.org_id = $1 AND s.at >= $2 \
               WINDOW w AS (PARTITION BY s.series_id ORDER BY s.at)) l \
         CROSS JOIN metric_series ser WHERE ser.id = l.series_id AND l.newest = 1 \
         ORDER BY ser.service_id, ser.measurement",
        args![org_id, since],
    )
    .await
}

/// A service's traffic in one direction over a span of hourly points.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BusyRow {
    pub service_id: i64,
    #[sqlx(try_from = "crate::stored::Stored<Measurement>")]
    pub measurement: Measurement,
    /// bit/s on average over the span.
    pub average: f64,
    /// bit/s in its busiest hour.
    pub busiest: f64,
}

/// Each service's traffic in and out since `since`, from hourly points (series
/// of one service and direction add up hour by hour), for an organization.
pub async fn traffic_by_service(
    db: &impl Exec,
    org_id: i64,
    since: i64,
) -> Result<Vec<BusyRow>, StoreError> {
    db.fetch_all(
        "SELECT t.service_id, t.measurement, AVG(t.rate) AS average, MAX(t.rate) AS busiest \
         FROM (SELECT ser.service_id, ser.measurement, p.bucket, SUM(p.sum_value / p.weight) AS rate \
               FROM metric_series ser CROSS JOIN metric_points_1h p \
               WHERE p.series_id = ser.id AND ser.org_id = $1 AND p.bucket >= $2 AND p.weight > 0 \
                 AND ser.measurement IN ('traffic_in', 'traffic_out') \
               GROUP BY ser.service_id, ser.measurement, p.bucket) t \
         GROUP BY t.service_id, t.measurement",
        args![org_id, since],
    )
    .await
}

/// How far a rollup has gone and where late samples ask it to start again.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct RollupMark {
    pub done_to: i64,
    pub redo_from: Option<i64>,
}

pub async fn rollup_mark(
    db: &impl Exec,
    resolution: Resolution,
) -> Result<Option<RollupMark>, StoreError> {
    db.fetch_optional(
        "SELECT done_to, redo_from FROM metric_rollups WHERE resolution = $1",
        args![resolution.as_str()],
    )
    .await
}

/// Samples before `at` arrived after their five minutes were rolled up: roll up again from there.
pub async fn redo_from(tx: &Tx, at: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE metric_rollups SET redo_from = CASE WHEN redo_from IS NULL OR redo_from > $1 THEN $1 ELSE redo_from END \
         WHERE resolution = '5m'",
        args![at],
    )
    .await?;
    Ok(())
}

/// The points of `[from, to)` at `resolution`, computed from the level below
/// it (samples for five minutes, five-minute points for hours). A read: the
/// rollup computes outside any transaction and writes briefly.
pub async fn roll_up_points(
    db: &impl Exec,
    resolution: Resolution,
    (from, to): (i64, i64),
) -> Result<Vec<PointRow>, StoreError> {
    match resolution {
        Resolution::Raw => Ok(Vec::new()),
        Resolution::FiveMinutes => {
            db.fetch_all(
                points_from_samples!("TRUE"),
                args![from, to, resolution.width_ms()],
            )
            .await
        }
        Resolution::Hour => {
            db.fetch_all(
                "SELECT series_id, bucket - (bucket % $3) AS bucket, MIN(min_value) AS min_value, \
                   MAX(max_value) AS max_value, SUM(sum_value) AS sum_value, SUM(weight) AS weight \
                 FROM metric_points_5m WHERE bucket >= $1 AND bucket < $2 \
                 GROUP BY series_id, bucket - (bucket % $3)",
                args![from, to, resolution.width_ms()],
            )
            .await
        }
    }
}

/// Upserts of rollup points sent as one JSON array of
/// `[series, bucket, min, max, sum, weight]`, per table and backend.
macro_rules! upsert_points {
    (sqlite $table:literal) => {
        concat!(
            "INSERT INTO ", $table, " (series_id, bucket, min_value, max_value, sum_value, weight) \
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 \
             FROM json_each($1) WHERE true \
             ON CONFLICT (series_id, bucket) DO UPDATE SET min_value = excluded.min_value, \
               max_value = excluded.max_value, sum_value = excluded.sum_value, weight = excluded.weight"
        )
    };
    (postgres $table:literal) => {
        concat!(
            "INSERT INTO ", $table, " (series_id, bucket, min_value, max_value, sum_value, weight) \
             SELECT (e ->> 0)::bigint, (e ->> 1)::bigint, (e ->> 2)::double precision, \
               (e ->> 3)::double precision, (e ->> 4)::double precision, (e ->> 5)::double precision \
             FROM jsonb_array_elements($1::jsonb) AS e \
             ON CONFLICT (series_id, bucket) DO UPDATE SET min_value = excluded.min_value, \
               max_value = excluded.max_value, sum_value = excluded.sum_value, weight = excluded.weight"
        )
    };
}

/// Writes rollup points, replacing any already there for the same series and time.
pub async fn write_points(
    tx: &Tx,
    resolution: Resolution,
    points: &[PointRow],
) -> Result<(), StoreError> {
    if points.is_empty() {
        return Ok(());
    }
    let rows: Vec<PointColumns> = points.iter().map(PointRow::columns).collect();
    // Numbers only, all finite (sums of finite samples): this cannot fail.
    let json = serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into());
    let sql = match (tx.backend().await, resolution) {
        (_, Resolution::Raw) => return Ok(()),
        (Backend::Sqlite, Resolution::FiveMinutes) => upsert_points!(sqlite "metric_points_5m"),
        (Backend::Sqlite, Resolution::Hour) => upsert_points!(sqlite "metric_points_1h"),
        (Backend::Postgres, Resolution::FiveMinutes) => upsert_points!(postgres "metric_points_5m"),
        (Backend::Postgres, Resolution::Hour) => upsert_points!(postgres "metric_points_1h"),
    };
    tx.execute(sql, args![json]).await?;
    Ok(())
}

/// Records that `resolution` is rolled up to `done_to`; `redone` is the late
/// mark this pass took care of, cleared unless a later push replaced it.
pub async fn set_rollup_mark(
    tx: &Tx,
    resolution: Resolution,
    done_to: i64,
    redone: Option<i64>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO metric_rollups (resolution, done_to) VALUES ($1, $2) \
         ON CONFLICT (resolution) DO UPDATE SET done_to = excluded.done_to, \
           redo_from = CASE WHEN metric_rollups.redo_from = $3 THEN NULL ELSE metric_rollups.redo_from END",
        args![resolution.as_str(), done_to, redone],
    )
    .await?;
    Ok(())
}

/// Forgets what is older than each resolution keeps, for the series with ids
/// in `[first, last]`: deletes go along each series' key, a few series at a
/// time, so no delete holds the write lock for long.
pub async fn purge(tx: &Tx, (first, last): (i64, i64), now: i64) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for (sql, kept) in [
        (
            "DELETE FROM metric_samples WHERE series_id IN (SELECT id FROM metric_series WHERE id BETWEEN $1 AND $2) AND at < $3",
            Resolution::Raw,
        ),
        (
            "DELETE FROM metric_points_5m WHERE series_id IN (SELECT id FROM metric_series WHERE id BETWEEN $1 AND $2) AND bucket < $3",
            Resolution::FiveMinutes,
        ),
        (
            "DELETE FROM metric_points_1h WHERE series_id IN (SELECT id FROM metric_series WHERE id BETWEEN $1 AND $2) AND bucket < $3",
            Resolution::Hour,
        ),
    ] {
        deleted += tx
            .execute(sql, args![first, last, now - kept.kept_ms()])
            .await?;
    }
    Ok(deleted)
}

/// The highest series id, to walk every series in batches.
pub async fn last_series_id(db: &impl Exec) -> Result<i64, StoreError> {
    let (last,): (Option<i64>,) = db
        .fetch_one("SELECT MAX(id) FROM metric_series", args![])
        .await?;
    Ok(last.unwrap_or(0))
}

/// Series stored per organization, most first, for the pipeline's health.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationSeries {
    pub org_id: i64,
    pub name: String,
    pub series: i64,
}

pub async fn series_per_organization(
    db: &impl Exec,
) -> Result<Vec<OrganizationSeries>, StoreError> {
    db.fetch_all(
        "SELECT o.id AS org_id, o.name, COUNT(*) AS series \
         FROM metric_series ser JOIN organizations o ON o.id = ser.org_id \
         GROUP BY o.id, o.name ORDER BY COUNT(*) DESC, o.name",
        args![],
    )
    .await
}

/// What each integration token has pushed: its series and its newest sample
/// still kept (`None` once all are older than raw samples are kept).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SourceSeries {
    pub token_id: i64,
    pub name: String,
    pub series: i64,
    pub newest_at: Option<i64>,
}

pub async fn series_per_source(db: &impl Exec) -> Result<Vec<SourceSeries>, StoreError> {
    // Each series' newest sample is one probe of its primary key.
    db.fetch_all(
        "SELECT t.id AS token_id, t.name, COUNT(*) AS series, \
                MAX((SELECT MAX(s.at) FROM metric_samples s WHERE s.series_id = ser.id)) AS newest_at \
         FROM metric_series ser JOIN integration_tokens t ON t.id = ser.token_id \
         GROUP BY t.id, t.name ORDER BY t.name",
        args![],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(series_id: i64, bucket: i64, value: f64) -> PointRow {
        PointRow {
            series_id,
            bucket,
            min_value: value,
            max_value: value,
            sum_value: value * 300.0,
            weight: 300.0,
        }
    }

    #[test]
    fn five_minute_points_regroup_into_whole_steps_of_each_series_apart() {
        let five = 300_000;
        // Out of order, two series, a step of three points.
        let rows = vec![
            point(2, 0, 7.0),
            point(1, five, 20.0),
            point(1, 0, 10.0),
            point(1, 2 * five, 30.0),
            point(1, 3 * five, 40.0),
        ];
        let steps = regroup(rows, 3 * five);
        let summary: Vec<(i64, i64, f64, f64, f64)> = steps
            .iter()
            .map(|p| (p.series_id, p.bucket, p.min_value, p.max_value, p.average()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, 0, 10.0, 30.0, 20.0),
                (1, 3 * five, 40.0, 40.0, 40.0),
                (2, 0, 7.0, 7.0, 7.0)
            ]
        );
    }

    /// PostgreSQL's `int8send`/`float8send` are eight big-endian bytes a value.
    #[test]
    fn packed_points_unpack_value_by_value_and_a_torn_answer_is_refused() {
        let mut packed = Vec::new();
        for (series_id, bucket, value) in [(7_i64, 300_000_i64, 1.5_f64), (-1, 0, -2.25e9)] {
            packed.extend(series_id.to_be_bytes());
            packed.extend(bucket.to_be_bytes());
            for figure in [value, value * 2.0, value * 300.0, 300.0] {
                packed.extend(figure.to_be_bytes());
            }
        }
        let points = unpack_points(&packed).expect("whole points");
        let summary: Vec<PointColumns> = points.iter().map(PointRow::columns).collect();
        assert_eq!(
            summary,
            vec![
                (7, 300_000, 1.5, 3.0, 450.0, 300.0),
                (-1, 0, -2.25e9, -4.5e9, -6.75e11, 300.0)
            ]
        );
        assert!(unpack_points(&[]).expect("no points").is_empty());
        assert!(matches!(
            unpack_points(&packed[..47]),
            Err(StoreError::Unreadable { .. })
        ));
    }
}
