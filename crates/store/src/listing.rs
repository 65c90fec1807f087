//! One way to list any collection: access conditions, filters, sort, and
//! offset or keyset (cursor) paging, as SQL both backends run. Each collection
//! declares its fields once, as [`Column`]s; what list parsing accepts and
//! what a cursor holds are derived from them.

use oneportal_domain::ids::IdKind;
use oneportal_domain::query::{Cursor, Direction, Field, FieldKind, Filter, ListQuery, Start};
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

/// One field of a collection, declared once: its API name and filter kind,
/// the SQL expression behind it, how values bind, and, for a field a list may
/// be sorted by, the row's value in a cursor. The collection's `ListSpec`
/// (what list parsing accepts) is derived from its columns with [`fields`].
pub struct Column<R> {
    pub field: Field,
    pub sql: &'static str,
    pub kind: ValueKind,
    pub cursor: Option<fn(&R) -> Value>,
}

impl<R> Column<R> {
    /// A field filtered as `kind`, bound as that kind's SQL values.
    pub const fn filter(name: &'static str, kind: FieldKind, sql: &'static str) -> Self {
        let value = match kind {
            FieldKind::Enum(_) | FieldKind::Text => ValueKind::Text,
            FieldKind::Date | FieldKind::Number => ValueKind::Int,
            FieldKind::Day => ValueKind::Day,
        };
        Column {
            field: Field {
                name,
                kind,
                filterable: true,
                sortable: false,
            },
            sql,
            kind: value,
            cursor: None,
        }
    }

    /// A prefixed id (`ACC-000001`) over an integer column, filtered by exact value.
    pub const fn id(name: &'static str, id: IdKind, sql: &'static str) -> Self {
        let mut column = Self::filter(name, FieldKind::Text, sql);
        column.kind = ValueKind::Id(id);
        column
    }

    /// An order no request may ask for or filter by, only a default sort (an
    /// invoice line's printed position).
    pub const fn order(name: &'static str, sql: &'static str, cursor: fn(&R) -> Value) -> Self {
        let mut column = Self::filter(name, FieldKind::Number, sql);
        column.field.filterable = false;
        column.cursor = Some(cursor);
        column
    }

    /// The same field, sortable, with the row's value in a cursor.
    pub const fn sorted(mut self, cursor: fn(&R) -> Value) -> Self {
        self.field.sortable = true;
        self.cursor = Some(cursor);
        self
    }
}

/// The API fields of a collection's columns, for its `ListSpec`.
pub const fn fields<R, const N: usize>(columns: &[Column<R>; N]) -> [Field; N] {
    let mut out = [Field {
        name: "",
        kind: FieldKind::Text,
        filterable: false,
        sortable: false,
    }; N];
    let mut i = 0;
    while i < N {
        out[i] = columns[i].field;
        i += 1;
    }
    out
}

/// A row that can say which record it is (the cursor's tie-breaker).
pub trait Listed: Record {
    fn id(&self) -> i64;
}

/// A list that bounds its total counts at most this many matching records: a
/// total beyond it is reported as "more than" this, never recounted by
/// scanning every match on each request (see [`Listing::bound_total`]).
pub const EXACT_TOTAL_UP_TO: i64 = 10_000;

pub struct ListPage<T> {
    pub rows: Vec<T>,
    /// How many records the conditions select; with `total_exact` false, more than this.
    pub total: i64,
    pub total_exact: bool,
    pub next_cursor: Option<String>,
}

pub struct Listing<R: 'static> {
    select: &'static str,
    from: &'static str,
    columns: &'static [Column<R>],
    id_sql: &'static str,
    conditions: Vec<String>,
    args: Vec<Arg>,
    fan_out_field: Option<&'static str>,
    fanned_out: Option<FannedOut>,
    defer_row_reads: bool,
    bound_total: bool,
}

/// A filter to several values that a page reads one value at a time: the
/// condition at `at` becomes `column_sql = value` in each arm of a UNION ALL.
struct FannedOut {
    at: usize,
    column_sql: &'static str,
    placeholders: Vec<String>,
}

fn sql_direction(d: Direction) -> &'static str {
    match d {
        Direction::Ascending => "ASC",
        Direction::Descending => "DESC",
    }
}

impl<R: Listed> Listing<R> {
    /// `select` lists the row's columns; `from` is the table with its alias.
    pub fn new(
        select: &'static str,
        from: &'static str,
        columns: &'static [Column<R>],
        id_sql: &'static str,
    ) -> Self {
        Listing {
            select,
            from,
            columns,
            id_sql,
            conditions: Vec::new(),
            args: Vec::new(),
            fan_out_field: None,
            fanned_out: None,
            defer_row_reads: false,
            bound_total: false,
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

    /// Finds the page's ids first, reading only the index (the sort columns and
    /// the id), and only then reads the whole rows of that page. Rows skipped
    /// by an offset, and each fanned-out arm's rows beyond the page, are then
    /// never read: a page costs its own rows plus index entries, not
    /// `(limit + offset) × arms` whole rows.
    pub fn defer_row_reads(&mut self) {
        self.defer_row_reads = true;
    }

    /// Counts at most [`EXACT_TOTAL_UP_TO`] + 1 matching records: the total is
    /// exact up to that many and otherwise "more than" it. A list whose filters
    /// each request may change (a date bound, a customer reference) would
    /// otherwise count every match of a large organization on every request.
    pub fn bound_total(&mut self) {
        self.bound_total = true;
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
        let sql = crate::db::number_marks(sql_with_marks, values, &mut self.args);
        self.conditions.push(sql);
    }

    /// The column of a field parsing accepted: parsing only knows the columns' fields.
    fn column(&self, field: &str) -> &'static Column<R> {
        let columns: &'static [Column<R>] = self.columns;
        columns
            .iter()
            .find(|c| c.field.name == field)
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

    /// Every record the conditions select, oldest id first: for the few reads
    /// that answer everything at once (a scrape of every visible service).
    pub async fn all(self, db: &impl Exec) -> Result<Vec<R>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} ORDER BY {}",
            self.select,
            self.from,
            self.where_clause(),
            self.id_sql
        );
        db.fetch_all_dynamic(sql, self.args).await
    }

    /// The one record the conditions select (a detail through its list's access rules).
    pub async fn first(self, db: &impl Exec) -> Result<Option<R>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} LIMIT 1",
            self.select,
            self.from,
            self.where_clause()
        );
        Ok(db.fetch_all_dynamic(sql, self.args).await?.pop())
    }

    /// One page, the total across all pages, and the cursor for the next page.
    pub async fn run(self, db: &impl Exec, query: &ListQuery) -> Result<ListPage<R>, StoreError> {
        self.run_counted(db, query, None).await
    }

    /// Like [`Listing::run`], taking the total from `counts` while it is fresh.
    pub async fn run_counted(
        mut self,
        db: &impl Exec,
        query: &ListQuery,
        counts: Option<&CountCache>,
    ) -> Result<ListPage<R>, StoreError> {
        let total = self.total(db, counts).await?;
        let sort = self.sort_columns(query);
        let offset = match &query.start {
            Start::Offset(n) => *n,
            Start::After(cursor) => {
                self.require_after(&sort, cursor);
                0
            }
        };
        let sql = self.page_sql(&sort, query.limit, offset);
        let rows: Vec<R> = db
            .fetch_all_dynamic(sql, std::mem::take(&mut self.args))
            .await?;
        Ok(self.page(rows, query, total))
    }

    /// The number of records the conditions select, from `counts` while it is fresh.
    async fn total(&self, db: &impl Exec, counts: Option<&CountCache>) -> Result<i64, StoreError> {
        let count_sql = if self.bound_total {
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {} WHERE {} LIMIT {}) AS counted",
                self.from,
                self.where_clause(),
                EXACT_TOTAL_UP_TO + 1
            )
        } else {
            format!(
                "SELECT COUNT(*) FROM {} WHERE {}",
                self.from,
                self.where_clause()
            )
        };
        let count = async {
            let (total,): (i64,) = db
                .fetch_all_dynamic(count_sql.clone(), self.args.clone())
                .await?
                .into_iter()
                .next()
                .unwrap_or((0,));
            Ok(total)
        };
        match counts {
            Some(counts) => {
                let key = counts.key(&count_sql, &self.args);
                counts.total(key, count).await
            }
            None => count.await,
        }
    }

    /// The request's sort as columns, with the direction of the id that breaks ties.
    fn sort_columns(&self, query: &ListQuery) -> Sort<R> {
        let keys: Vec<(&'static Column<R>, Direction)> = query
            .sort
            .iter()
            .map(|k| (self.column(k.field), k.direction))
            .collect();
        let tie_break = keys.last().map_or(Direction::Ascending, |(_, d)| *d);
        Sort { keys, tie_break }
    }

    /// Only rows after the cursor's: `(a, b, id)` after `(x, y, z)` in the
    /// sort's directions, as OR-ed prefixes.
    fn require_after(&mut self, sort: &Sort<R>, cursor: &Cursor) {
        let op = |d: Direction| if d == Direction::Ascending { ">" } else { "<" };
        let mut alternatives = Vec::new();
        for i in 0..=sort.keys.len() {
            let mut parts = Vec::new();
            for (j, (column, _)) in sort.keys.iter().take(i).enumerate() {
                let p = self.bind(Self::cursor_arg(column.kind, &cursor.values[j]));
                parts.push(format!("{} = {p}", column.sql));
            }
            if i < sort.keys.len() {
                let (column, direction) = sort.keys[i];
                let p = self.bind(Self::cursor_arg(column.kind, &cursor.values[i]));
                parts.push(format!("{} {} {p}", column.sql, op(direction)));
            } else {
                let p = self.bind(Arg::from(cursor.id));
                parts.push(format!("{} {} {p}", self.id_sql, op(sort.tie_break)));
            }
            alternatives.push(format!("({})", parts.join(" AND ")));
        }
        self.conditions
            .push(format!("({})", alternatives.join(" OR ")));
        // Implied by the OR chain, but it lets the planner seek the index to the
        // cursor instead of scanning from the top (SQLite does not see through the
        // OR with bound values): the 10,000th page costs what the first does.
        if let Some((column, direction)) = sort.keys.first() {
            let p = self.bind(Self::cursor_arg(column.kind, &cursor.values[0]));
            let op = if *direction == Direction::Ascending {
                ">="
            } else {
                "<="
            };
            self.conditions.push(format!("{} {op} {p}", column.sql));
        }
    }

    /// The page's query: one SELECT, or one arm per fanned-out value merged in order.
    fn page_sql(&mut self, sort: &Sort<R>, limit: u32, offset: u32) -> String {
        let mut order: Vec<String> = sort
            .keys
            .iter()
            .map(|(c, d)| format!("{} {}", c.sql, sql_direction(*d)))
            .collect();
        order.push(format!("{} {}", self.id_sql, sql_direction(sort.tie_break)));
        let limit_p = self.bind(Arg::from(i64::from(limit) + 1));
        let offset_p = self.bind(Arg::from(i64::from(offset)));
        // The merged arms are ordered by their output columns' names.
        let merged_order: Option<Vec<String>> = sort
            .keys
            .iter()
            .map(|(c, d)| output_name(c.sql).map(|n| format!("{n} {}", sql_direction(*d))))
            .chain(std::iter::once(
                output_name(self.id_sql).map(|n| format!("{n} {}", sql_direction(sort.tie_break))),
            ))
            .collect();
        // What each arm, or the one query, selects: the rows, or only the order's
        // columns and the id when the rows are read afterwards.
        let keys_only;
        let selected = if self.defer_row_reads {
            keys_only = sort
                .keys
                .iter()
                .map(|(c, _)| c.sql)
                .chain(std::iter::once(self.id_sql))
                .collect::<Vec<_>>()
                .join(", ");
            keys_only.as_str()
        } else {
            self.select
        };
        let page = match (self.fanned_out.take(), merged_order) {
            (Some(fanned), Some(merged_order)) => {
                // Each arm may supply the whole page, including the rows an offset skips.
                let arm_limit = self.bind(Arg::from(i64::from(limit) + 1 + i64::from(offset)));
                let arms: Vec<String> = fanned
                    .placeholders
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        format!(
                            "SELECT * FROM (SELECT {selected} FROM {} WHERE {} ORDER BY {} LIMIT {arm_limit}) AS arm{i}",
                            self.from,
                            self.arm_where_clause(&fanned, p),
                            order.join(", ")
                        )
                    })
                    .collect();
                format!(
                    "{} ORDER BY {} LIMIT {limit_p} OFFSET {offset_p}",
                    arms.join(" UNION ALL "),
                    merged_order.join(", ")
                )
            }
            _ => format!(
                "SELECT {selected} FROM {} WHERE {} ORDER BY {} LIMIT {limit_p} OFFSET {offset_p}",
                self.from,
                self.where_clause(),
                order.join(", ")
            ),
        };
        if !self.defer_row_reads {
            return page;
        }
        let id = output_name(self.id_sql).expect("a list whose rows are read last has a plain id");
        format!(
            "SELECT {} FROM {} WHERE {} IN (SELECT {id} FROM ({page}) AS page) ORDER BY {}",
            self.select,
            self.from,
            self.id_sql,
            order.join(", ")
        )
    }

    /// The rows of the page (one more was read to tell whether another page
    /// follows) and the cursor of the next page.
    fn page(&self, mut rows: Vec<R>, query: &ListQuery, total: i64) -> ListPage<R> {
        let mut next_cursor = None;
        if rows.len() > query.limit as usize {
            rows.truncate(query.limit as usize);
            next_cursor = rows.last().map(|last| {
                Cursor {
                    values: query
                        .sort
                        .iter()
                        .map(|k| {
                            let cursor = self.column(k.field).cursor;
                            cursor.expect("parsing sorts only by fields with a cursor")(last)
                        })
                        .collect(),
                    id: last.id(),
                }
                .encode()
            });
        }
        let total_exact = !self.bound_total || total <= EXACT_TOTAL_UP_TO;
        ListPage {
            rows,
            total: if total_exact {
                total
            } else {
                EXACT_TOTAL_UP_TO
            },
            total_exact,
            next_cursor,
        }
    }
}

/// A page's order: the sort's columns, then the id in the last key's direction.
struct Sort<R: 'static> {
    keys: Vec<(&'static Column<R>, Direction)>,
    tie_break: Direction,
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

#[cfg(test)]
mod declarations {
    use oneportal_domain::query::ListSpec;

    use super::Column;

    fn check<R>(spec: &ListSpec, columns: &[Column<R>]) {
        for key in spec.default_sort {
            assert!(
                columns
                    .iter()
                    .any(|c| c.field.name == key.field && c.cursor.is_some()),
                "the default order by {} has no cursor value",
                key.field
            );
        }
        for column in columns.iter().filter(|c| c.field.sortable) {
            assert!(
                column.cursor.is_some(),
                "{} sorts without a cursor value",
                column.field.name
            );
        }
    }

    #[test]
    fn every_order_a_list_can_take_writes_a_cursor() {
        check(&crate::cases::CASES, &crate::cases::CASE_COLUMNS);
        check(&crate::catalog::ACCOUNTS, &crate::catalog::ACCOUNT_COLUMNS);
        check(&crate::catalog::SITES, &crate::catalog::SITE_COLUMNS);
        check(&crate::catalog::SERVICES, &crate::catalog::SERVICE_COLUMNS);
        check(
            &crate::invoices::INVOICES,
            &crate::invoices::INVOICE_COLUMNS,
        );
        check(
            &crate::maintenances::MAINTENANCES,
            &crate::maintenances::MAINTENANCE_COLUMNS,
        );
        check(
            &crate::invoices::INVOICE_LINES,
            &crate::invoices::LINE_COLUMNS,
        );
    }
}
