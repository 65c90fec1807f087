//! One way to list any collection: access conditions, filters, sort, and
//! offset or keyset (cursor) paging, as SQL both backends run.

use oneportal_domain::ids::IdKind;
use oneportal_domain::query::{Cursor, Direction, Filter, ListQuery, Start};
use serde_json::Value;

use crate::counts::CountCache;
use crate::{Arg, Exec, Record, StoreError};

/// How an API field's values are bound to SQL.
#[derive(Debug, Clone, Copy)]
pub enum ValueKind {
    Int,
    Text,
    /// A prefixed id (`SITE-000001`) over an integer column.
    Id(IdKind),
    /// A calendar date held as `YYYY-MM-DD` text, which compares by day.
    Day,
}

/// An API field and the SQL expression behind it.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub field: &'static str,
    pub sql: &'static str,
    pub kind: ValueKind,
}

/// A row that can say where it sits in a sort order.
pub trait Listed: Record {
    fn id(&self) -> i64;
    fn sort_value(&self, field: &str) -> Value;
}

pub struct ListPage<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

pub struct Listing {
    select: &'static str,
    from: &'static str,
    columns: &'static [Column],
    id_sql: &'static str,
    conditions: Vec<String>,
    args: Vec<Arg>,
    fan_out_field: Option<&'static str>,
    fanned_out: Option<FannedOut>,
}

/// A filter to several values that a page reads one value at a time: the
/// condition at `at` becomes `column_sql = value` in each arm of a UNION ALL.
struct FannedOut {
    at: usize,
    column_sql: &'static str,
    placeholders: Vec<String>,
}

impl Listing {
    /// `select` lists the row's columns; `from` is the table with its alias.
    pub fn new(
        select: &'static str,
        from: &'static str,
        columns: &'static [Column],
        id_sql: &'static str,
    ) -> Listing {
        Listing {
            select,
            from,
            columns,
            id_sql,
            conditions: Vec::new(),
            args: Vec::new(),
            fan_out_field: None,
            fanned_out: None,
        }
    }

    /// Reads a page filtered to several values of `field` once per value and
    /// merges the arms, each limited to the page. Worth it where an index leads
    /// with the field and goes on with the sort columns: each arm then reads
    /// only its first rows, instead of one walk in sort order skipping every row
    /// of another value, which grows with the rows that do not match.
    pub fn fan_out(&mut self, field: &'static str) {
        self.fan_out_field = Some(field);
    }

    fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// `sql = value`.
    pub fn require_eq(&mut self, sql: &str, value: i64) {
        let p = self.bind(Arg::from(value));
        self.conditions.push(format!("{sql} = {p}"));
    }

    /// `sql` is one of `values` (none: nothing matches).
    pub fn require_in(&mut self, sql: &str, values: &[i64]) {
        if values.is_empty() {
            self.conditions.push("1 = 0".into());
            return;
        }
        let placeholders: Vec<String> = values.iter().map(|v| self.bind(Arg::from(*v))).collect();
        self.conditions
            .push(format!("{sql} IN ({})", placeholders.join(", ")));
    }

    /// A condition written by the caller with its own values, `?` standing for each in order.
    pub fn require(&mut self, sql_with_marks: &str, values: Vec<Arg>) {
        let mut sql = String::new();
        let mut values = values.into_iter();
        for (i, part) in sql_with_marks.split('?').enumerate() {
            if i > 0 {
                let p = self.bind(values.next().expect("one value per mark"));
                sql.push_str(&p);
            }
            sql.push_str(part);
        }
        self.conditions.push(sql);
    }

    fn column(&self, field: &str) -> &'static Column {
        self.columns
            .iter()
            .find(|c| c.field == field)
            .unwrap_or_else(|| panic!("no column for field {field}"))
    }

    fn arg(kind: ValueKind, value: &str) -> Arg {
        match kind {
            ValueKind::Text | ValueKind::Day => Arg::from(value),
            ValueKind::Int => Arg::from(value.parse::<i64>().unwrap_or(i64::MIN)),
            // An id of the wrong shape matches nothing rather than erroring.
            ValueKind::Id(kind) => Arg::from(kind.parse(value).unwrap_or(-1)),
        }
    }

    fn cursor_arg(kind: ValueKind, value: &Value) -> Arg {
        match (kind, value) {
            (ValueKind::Text | ValueKind::Day, Value::String(s)) => Arg::from(s.as_str()),
            (_, v) => Arg::from(v.as_i64().unwrap_or_default()),
        }
    }

    pub fn filter(&mut self, filters: &[Filter]) {
        for filter in filters {
            match filter {
                Filter::AnyOf { field, values } => {
                    let column = self.column(field);
                    // Parsing already bounds and de-duplicates a request's values; a caller
                    // that builds a filter itself gets the same: one arm per distinct value.
                    let mut distinct: Vec<&String> = Vec::with_capacity(values.len());
                    for v in values {
                        if !distinct.contains(&v) {
                            distinct.push(v);
                        }
                    }
                    let placeholders: Vec<String> = distinct
                        .into_iter()
                        .map(|v| self.bind(Self::arg(column.kind, v)))
                        .collect();
                    if self.fan_out_field == Some(*field)
                        && placeholders.len() > 1
                        && self.fanned_out.is_none()
                    {
                        self.fanned_out = Some(FannedOut {
                            at: self.conditions.len(),
                            column_sql: column.sql,
                            placeholders: placeholders.clone(),
                        });
                    }
                    self.conditions.push(format!(
                        "{} IN ({})",
                        column.sql,
                        placeholders.join(", ")
                    ));
                }
                Filter::Range { field, op, at } => {
                    let column = self.column(field);
                    let p = self.bind(match column.kind {
                        ValueKind::Day => Arg::from(day_of(*at)),
                        _ => Arg::from(*at),
                    });
                    self.conditions
                        .push(format!("{} {} {p}", column.sql, op.sql()));
                }
            }
        }
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            "1 = 1".into()
        } else {
            self.conditions.join(" AND ")
        }
    }

    /// The conditions with the fanned-out one narrowed to `column = placeholder`.
    fn arm_where_clause(&self, fanned: &FannedOut, placeholder: &str) -> String {
        let mut conditions = self.conditions.clone();
        conditions[fanned.at] = format!("{} = {placeholder}", fanned.column_sql);
        conditions.join(" AND ")
    }

    /// How many records the conditions select, in groups:
    /// `SELECT {group_by}, COUNT(*) AS count … GROUP BY {group_by}`.
    pub async fn count_grouped<T: Record>(
        self,
        db: &impl Exec,
        group_by: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let sql = format!(
            "SELECT {group_by}, COUNT(*) AS count FROM {} WHERE {} GROUP BY {group_by}",
            self.from,
            self.where_clause()
        );
        db.fetch_all_dynamic(sql, self.args).await
    }

    /// The one record the conditions select (a detail through its list's access rules).
    pub async fn first<T: Listed>(self, db: &impl Exec) -> Result<Option<T>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} LIMIT 1",
            self.select,
            self.from,
            self.where_clause()
        );
        Ok(db.fetch_all_dynamic(sql, self.args).await?.pop())
    }

    /// One page, the total across all pages, and the cursor for the next page.
    pub async fn run<T: Listed>(
        self,
        db: &impl Exec,
        query: &ListQuery,
    ) -> Result<ListPage<T>, StoreError> {
        self.run_counted(db, query, None).await
    }

    /// Like [`Listing::run`], taking the total from `counts` while it is fresh.
    pub async fn run_counted<T: Listed>(
        mut self,
        db: &impl Exec,
        query: &ListQuery,
        counts: Option<&CountCache>,
    ) -> Result<ListPage<T>, StoreError> {
        let count_sql = format!(
            "SELECT COUNT(*) FROM {} WHERE {}",
            self.from,
            self.where_clause()
        );
        let count = async {
            let (total,): (i64,) = db
                .fetch_all_dynamic(count_sql.clone(), self.args.clone())
                .await?
                .into_iter()
                .next()
                .unwrap_or((0,));
            Ok(total)
        };
        let total = match counts {
            Some(counts) => {
                let key = counts.key(&count_sql, &self.args);
                counts.total(key, count).await?
            }
            None => count.await?,
        };

        let sort: Vec<(&'static Column, Direction)> = query
            .sort
            .iter()
            .map(|k| (self.column(k.field), k.direction))
            .collect();
        let tie_break = sort.last().map_or(Direction::Ascending, |(_, d)| *d);
        let op = |d: Direction| if d == Direction::Ascending { ">" } else { "<" };
        let mut offset = 0;
        match &query.start {
            Start::Offset(n) => offset = *n,
            Start::After(cursor) => {
                // (a, b, id) after (x, y, z) in the sort's directions, as OR-ed prefixes.
                let mut alternatives = Vec::new();
                for i in 0..=sort.len() {
                    let mut parts = Vec::new();
                    for (j, (column, _)) in sort.iter().take(i).enumerate() {
                        let p = self.bind(Self::cursor_arg(column.kind, &cursor.values[j]));
                        parts.push(format!("{} = {p}", column.sql));
                    }
                    if i < sort.len() {
                        let (column, direction) = sort[i];
                        let p = self.bind(Self::cursor_arg(column.kind, &cursor.values[i]));
                        parts.push(format!("{} {} {p}", column.sql, op(direction)));
                    } else {
                        let p = self.bind(Arg::from(cursor.id));
                        parts.push(format!("{} {} {p}", self.id_sql, op(tie_break)));
                    }
                    alternatives.push(format!("({})", parts.join(" AND ")));
                }
                self.conditions
                    .push(format!("({})", alternatives.join(" OR ")));
                // Implied by the OR chain, but it lets the planner seek the index to the
                // cursor instead of scanning from the top (SQLite does not see through the
                // OR with bound values): the 10,000th page costs what the first does.
                if let Some((column, direction)) = sort.first() {
                    let p = self.bind(Self::cursor_arg(column.kind, &cursor.values[0]));
                    let op = if *direction == Direction::Ascending {
                        ">="
                    } else {
                        "<="
                    };
                    self.conditions.push(format!("{} {op} {p}", column.sql));
                }
            }
        }
        let direction = |d: Direction| {
            if d == Direction::Ascending {
                "ASC"
            } else {
                "DESC"
            }
        };
        let mut order: Vec<String> = sort
            .iter()
            .map(|(c, d)| format!("{} {}", c.sql, direction(*d)))
            .collect();
        order.push(format!("{} {}", self.id_sql, direction(tie_break)));
        let limit = self.bind(Arg::from(i64::from(query.limit) + 1));
        let offset_p = self.bind(Arg::from(i64::from(offset)));
        // The merged arms are ordered by their output columns' names.
        let merged_order: Option<Vec<String>> = sort
            .iter()
            .map(|(c, d)| output_name(c.sql).map(|n| format!("{n} {}", direction(*d))))
            .chain(std::iter::once(
                output_name(self.id_sql).map(|n| format!("{n} {}", direction(tie_break))),
            ))
            .collect();
        let sql = match (self.fanned_out.take(), merged_order) {
            (Some(fanned), Some(merged_order)) => {
                // Each arm may supply the whole page, including the rows an offset skips.
                let arm_limit =
                    self.bind(Arg::from(i64::from(query.limit) + 1 + i64::from(offset)));
                let arms: Vec<String> = fanned
                    .placeholders
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        format!(
                            "SELECT * FROM (SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {arm_limit}) AS arm{i}",
                            self.select,
                            self.from,
                            self.arm_where_clause(&fanned, p),
                            order.join(", ")
                        )
                    })
                    .collect();
                format!(
                    "{} ORDER BY {} LIMIT {limit} OFFSET {offset_p}",
                    arms.join(" UNION ALL "),
                    merged_order.join(", ")
                )
            }
            _ => format!(
                "SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {limit} OFFSET {offset_p}",
                self.select,
                self.from,
                self.where_clause(),
                order.join(", ")
            ),
        };
        let mut rows: Vec<T> = db.fetch_all_dynamic(sql, self.args).await?;
        let next_cursor = if rows.len() > query.limit as usize {
            rows.truncate(query.limit as usize);
            rows.last().map(|last| {
                Cursor {
                    values: query
                        .sort
                        .iter()
                        .map(|k| last.sort_value(k.field))
                        .collect(),
                    id: last.id(),
                }
                .encode()
            })
        } else {
            None
        };
        Ok(ListPage {
            rows,
            total,
            next_cursor,
        })
    }
}

/// The name a selected `alias.column` has in the result, if the SQL is that plain.
fn output_name(sql: &str) -> Option<&str> {
    let name = sql.rsplit_once('.').map_or(sql, |(_, name)| name);
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(name)
}

/// The UTC calendar day (`2026-01-31`) of an instant in Unix milliseconds. Day
/// filters hand over a day's midnight, so comparing days is exact.
fn day_of(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_columns_have_an_output_name() {
        assert_eq!(super::output_name("c.updated_at"), Some("updated_at"));
        assert_eq!(super::output_name("id"), Some("id"));
        assert_eq!(super::output_name("lower(c.name)"), None);
        assert_eq!(super::output_name("COALESCE(a, b)"), None);
    }

    #[test]
    fn a_days_midnight_is_that_day() {
        assert_eq!(super::day_of(1_767_225_600_000), "2026-01-01");
        assert_eq!(super::day_of(1_767_225_599_999), "2025-12-31");
    }
}
