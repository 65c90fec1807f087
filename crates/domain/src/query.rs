//! The list conventions of API V2, as pure parsing: `offset`/`limit`, an opaque
//! `cursor`, filters (`status=InProgress,Pending`, `createdDate.gte=…`) and
//! `sort=-lastModifiedDate,priority`. Anything unknown is an error that names
//! the parameter, so a typo never silently returns everything.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;
/// The deepest page `offset` reaches; deeper is a cursor's job, at constant cost.
/// A page costs what it skips, so this bounds what any one request can make the
/// database read (Elasticsearch's `max_result_window` is the same idea).
pub const MAX_OFFSET: u32 = 10_000;
/// How many values one filter may list (`status=a,b,…`). Each value is another
/// index range to read, so a request's cost is at most values × page.
pub const MAX_FILTER_VALUES: usize = 20;
/// How many query parameters one list request may carry: every list has far
/// fewer fields, and the check is cheap before any parsing.
pub const MAX_PARAMETERS: usize = 40;
/// How many problems one answer lists; the rest are counted, so that a
/// request of thousands of bad parameters cannot make a megabyte of error.
pub const MAX_REPORTED_ERRORS: usize = 10;
/// The longest text a filter value or a cursor's text may be.
pub const MAX_TEXT_VALUE: usize = 256;

/// What values a field takes, which decides how it may be filtered.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    /// One of a fixed set (`status`, `priority`); `a,b` means either.
    Enum(&'static [&'static str]),
    /// Free text or ids, matched exactly; `a,b` means either.
    Text,
    /// A timestamp: exact match is not offered, ranges are (`.gte .gt .lte .lt`).
    Date,
    /// A calendar date (`2026-01-31`, as invoice and due dates are): ranges only,
    /// compared day by day. The range's `at` is the day's start (00:00 UTC).
    Day,
    /// A whole number a list is kept in (an invoice line's position): neither
    /// filtered nor sorted by request, only a default order.
    Number,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
    pub filterable: bool,
    pub sortable: bool,
}

/// The fields of one collection and its default order.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    pub fields: &'static [Field],
    pub default_sort: &'static [SortKey],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Ascending,
    Descending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: &'static str,
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    Gte,
    Gt,
    Lte,
    Lt,
}

impl RangeOp {
    pub const fn sql(self) -> &'static str {
        match self {
            RangeOp::Gte => ">=",
            RangeOp::Gt => ">",
            RangeOp::Lte => "<=",
            RangeOp::Lt => "<",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    AnyOf {
        field: &'static str,
        values: Vec<String>,
    },
    /// `at` in Unix milliseconds.
    Range {
        field: &'static str,
        op: RangeOp,
        at: i64,
    },
}

/// A calendar date written `YYYY-MM-DD`, the form of invoice and due dates.
pub fn parse_day(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    // `[year]` would also take a sign or a fifth digit; a date here is exactly ten characters.
    if text.len() != 10 {
        return None;
    }
    time::Date::parse(text, format).ok()
}

/// Where a page starts: by position, or after a row (keyset; constant cost at any depth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Offset(u32),
    After(Cursor),
}

/// The sort values of the last row of a page, plus its id as the tie-breaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "v")]
    pub values: Vec<serde_json::Value>,
    #[serde(rename = "i")]
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serializes"))
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filters: Vec<Filter>,
    pub sort: Vec<SortKey>,
    pub start: Start,
    pub limit: u32,
}

/// One problem with one query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub parameter: String,
    pub code: &'static str,
    pub detail: String,
}

impl QueryError {
    pub fn new(parameter: &str, code: &'static str, detail: String) -> Self {
        QueryError {
            parameter: parameter.to_owned(),
            code,
            detail,
        }
    }
}

impl ListSpec {
    fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Parses the query string's pairs; every problem is reported, not just the first.
    pub fn parse(&self, params: &[(String, String)]) -> Result<ListQuery, Vec<QueryError>> {
        let mut errors = Vec::new();
        let mut filters = Vec::new();
        let mut sort = None;
        let mut offset = None;
        let mut limit = DEFAULT_LIMIT;
        let mut cursor = None;
        if params.len() > MAX_PARAMETERS {
            return Err(vec![QueryError::new(
                "query",
                "too_many_parameters",
                format!(
                    "the query has {} parameters; a list takes at most {MAX_PARAMETERS}",
                    params.len()
                ),
            )]);
        }
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in params {
            if name.contains('\0') || value.contains('\0') {
                errors.push(QueryError::new(
                    name,
                    "invalid_character",
                    format!(
                        "'{}' contains a NUL character (%00); remove it",
                        name.replace('\0', "")
                    ),
                ));
                continue;
            }
            if seen.contains(&name.as_str()) {
                errors.push(QueryError::new(name, "duplicate_parameter", format!("'{name}' is given more than once; use one value, with commas for alternatives")));
                continue;
            }
            seen.push(name);
            match name.as_str() {
                "offset" => match value.parse::<u32>() {
                    Ok(n) if n <= MAX_OFFSET => offset = Some(n),
                    _ => errors.push(QueryError::new(name, "invalid_parameter", format!("offset must be a whole number from 0 to {MAX_OFFSET}, not '{value}'; page deeper with cursor (pagination.nextCursor), which costs the same at any depth"))),
                },
                "limit" => match value.parse::<u32>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                    _ => errors.push(QueryError::new(name, "invalid_parameter", format!("limit must be a whole number from 1 to {MAX_LIMIT}, not '{value}'"))),
                },
                "cursor" => match Cursor::decode(value) {
                    Some(c) => cursor = Some(c),
                    None => errors.push(QueryError::new(name, "invalid_cursor", "the cursor is not one this API handed out; use nextCursor from a previous page".into())),
                },
                "sort" => match self.parse_sort(value) {
                    Ok(keys) => sort = Some(keys),
                    Err(e) => errors.push(e),
                },
                _ => match self.parse_filter(name, value) {
                    // Every value of a choice is no filter: reading it as one would only
                    // make the database check each row instead of using its indexes.
                    Ok(Filter::AnyOf { field, values })
                        if self.field(field).is_some_and(|f| matches!(f.kind, FieldKind::Enum(all) if all.len() == values.len())) => {}
                    Ok(filter) => filters.push(filter),
                    Err(e) => errors.push(e),
                },
            }
        }
        if errors.len() > MAX_REPORTED_ERRORS {
            let more = errors.len() - MAX_REPORTED_ERRORS;
            errors.truncate(MAX_REPORTED_ERRORS);
            errors.push(QueryError::new(
                "query",
                "more_problems",
                format!("{more} more parameters need attention; fix the ones above and try again"),
            ));
        }
        let start = match (offset, cursor) {
            (Some(_), Some(_)) => {
                errors.push(QueryError::new(
                    "cursor",
                    "conflicting_parameters",
                    "use either offset or cursor, not both".into(),
                ));
                Start::Offset(0)
            }
            (_, Some(cursor)) => Start::After(cursor),
            (offset, None) => Start::Offset(offset.unwrap_or(0)),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let sort = sort.unwrap_or_else(|| self.default_sort.to_vec());
        if let Start::After(cursor) = &start
            && !self.cursor_fits(cursor, &sort)
        {
            return Err(vec![QueryError::new("cursor", "invalid_cursor", "this cursor belongs to another sort order; keep the sort of the request that returned it".into())]);
        }
        Ok(ListQuery {
            filters,
            sort,
            start,
            limit,
        })
    }

    /// Whether a cursor holds one value of the right type per sort key: a
    /// forged one must be a 400 here, not a type error in the database.
    fn cursor_fits(&self, cursor: &Cursor, sort: &[SortKey]) -> bool {
        cursor.values.len() == sort.len()
            && cursor.id >= 0
            && sort.iter().zip(&cursor.values).all(|(key, value)| {
                let Some(field) = self.field(key.field) else {
                    return false;
                };
                match (field.kind, value) {
                    (FieldKind::Date | FieldKind::Number, serde_json::Value::Number(n)) => {
                        n.is_i64()
                    }
                    (FieldKind::Day, serde_json::Value::String(s)) => parse_day(s).is_some(),
                    (FieldKind::Enum(allowed), serde_json::Value::String(s)) => {
                        allowed.contains(&s.as_str())
                    }
                    (FieldKind::Text, serde_json::Value::String(s)) => {
                        s.len() <= MAX_TEXT_VALUE && !s.contains('\0')
                    }
                    _ => false,
                }
            })
    }

    fn parse_sort(&self, value: &str) -> Result<Vec<SortKey>, QueryError> {
        let sortable = || {
            self.fields
                .iter()
                .filter(|f| f.sortable)
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut keys = Vec::new();
        for part in value.split(',').map(str::trim) {
            let (direction, name) = match part.strip_prefix('-') {
                Some(name) => (Direction::Descending, name),
                None => (Direction::Ascending, part.strip_prefix('+').unwrap_or(part)),
            };
            match self.field(name).filter(|f| f.sortable) {
                Some(field) if !keys.iter().any(|k: &SortKey| k.field == field.name) => {
                    keys.push(SortKey {
                        field: field.name,
                        direction,
                    })
                }
                Some(_) => {
                    return Err(QueryError::new(
                        "sort",
                        "invalid_sort",
                        format!("'{name}' appears twice in sort"),
                    ));
                }
                None if sortable().is_empty() => {
                    return Err(QueryError::new(
                        "sort",
                        "invalid_sort",
                        "this list has a fixed order; leave out sort".into(),
                    ));
                }
                None => {
                    return Err(QueryError::new(
                        "sort",
                        "invalid_sort",
                        format!("cannot sort by '{name}'; sortable fields: {}", sortable()),
                    ));
                }
            }
        }
        Ok(keys)
    }

    fn parse_filter(&self, name: &str, value: &str) -> Result<Filter, QueryError> {
        let unknown = || {
            let known: Vec<_> = self
                .fields
                .iter()
                .filter(|f| f.filterable)
                .map(|f| f.name)
                .collect();
            QueryError::new(
                name,
                "unknown_parameter",
                if known.is_empty() {
                    format!(
                        "'{name}' is not a parameter here; this list has no filters, only offset and limit"
                    )
                } else {
                    format!(
                        "'{name}' is not a parameter here; filters: {}; and offset, limit, cursor, sort",
                        known.join(", ")
                    )
                },
            )
        };
        let (base, op) = match name.rsplit_once('.') {
            Some((base, "gte")) => (base, Some(RangeOp::Gte)),
            Some((base, "gt")) => (base, Some(RangeOp::Gt)),
            Some((base, "lte")) => (base, Some(RangeOp::Lte)),
            Some((base, "lt")) => (base, Some(RangeOp::Lt)),
            _ => (name, None),
        };
        let field = self
            .field(base)
            .filter(|f| f.filterable)
            .ok_or_else(unknown)?;
        match (field.kind, op) {
            (FieldKind::Date, Some(op)) => {
                let at = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
                    QueryError::new(
                        name,
                        "invalid_date",
                        format!(
                            "'{value}' is not an RFC 3339 timestamp such as 2026-01-01T00:00:00Z"
                        ),
                    )
                })?;
                Ok(Filter::Range {
                    field: field.name,
                    op,
                    at: (at.unix_timestamp_nanos() / 1_000_000) as i64,
                })
            }
            (FieldKind::Day, Some(op)) => {
                let day = parse_day(value).ok_or_else(|| {
                    QueryError::new(
                        name,
                        "invalid_date",
                        format!("'{value}' is not a calendar date such as 2026-01-31"),
                    )
                })?;
                Ok(Filter::Range {
                    field: field.name,
                    op,
                    at: day.midnight().assume_utc().unix_timestamp() * 1000,
                })
            }
            (FieldKind::Date | FieldKind::Day, None) => Err(QueryError::new(
                name,
                "invalid_filter",
                format!(
                    "filter dates with a range: {base}.gte, {base}.gt, {base}.lte or {base}.lt"
                ),
            )),
            (_, Some(_)) => Err(unknown()),
            (kind, None) => {
                let listed = value.split(',').filter(|v| !v.trim().is_empty()).count();
                if listed > MAX_FILTER_VALUES {
                    return Err(QueryError::new(
                        name,
                        "too_many_values",
                        format!(
                            "'{name}' lists {listed} values; a filter takes at most {MAX_FILTER_VALUES}"
                        ),
                    ));
                }
                // A repeated value adds nothing to the answer, so it adds nothing to the work.
                let mut values: Vec<String> = Vec::new();
                for v in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                    if !values.iter().any(|seen| seen == v) {
                        values.push(v.to_owned());
                    }
                }
                if let Some(long) = values.iter().find(|v| v.len() > MAX_TEXT_VALUE) {
                    return Err(QueryError::new(
                        name,
                        "invalid_filter",
                        format!(
                            "a '{name}' value is {} characters long; at most {MAX_TEXT_VALUE}",
                            long.len()
                        ),
                    ));
                }
                if values.is_empty() {
                    return Err(QueryError::new(
                        name,
                        "invalid_filter",
                        format!("'{name}' needs a value"),
                    ));
                }
                if let FieldKind::Enum(allowed) = kind
                    && let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str()))
                {
                    return Err(QueryError::new(
                        name,
                        "invalid_filter",
                        format!("'{bad}' is not a {name}; allowed: {}", allowed.join(", ")),
                    ));
                }
                Ok(Filter::AnyOf {
                    field: field.name,
                    values,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: &[&str] = &[
        "Acknowledged",
        "InProgress",
        "Pending",
        "Held",
        "Resolved",
        "Closed",
    ];
    const CASES: ListSpec = ListSpec {
        fields: &[
            Field {
                name: "status",
                kind: FieldKind::Enum(STATUSES),
                filterable: true,
                sortable: true,
            },
            Field {
                name: "serviceId",
                kind: FieldKind::Text,
                filterable: true,
                sortable: false,
            },
            Field {
                name: "lastModifiedDate",
                kind: FieldKind::Date,
                filterable: true,
                sortable: true,
            },
            Field {
                name: "priority",
                kind: FieldKind::Enum(&["P1", "P2", "P3", "P4", "P5"]),
                filterable: true,
                sortable: true,
            },
        ],
        default_sort: &[SortKey {
            field: "lastModifiedDate",
            direction: Direction::Descending,
        }],
    };

    fn parse(query: &[(&str, &str)]) -> Result<ListQuery, Vec<QueryError>> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        CASES.parse(&pairs)
    }

    #[test]
    fn the_products_example_parses() {
        let q = parse(&[
            ("status", "InProgress,Pending"),
            ("sort", "-lastModifiedDate,priority"),
            ("limit", "50"),
            ("lastModifiedDate.gte", "2026-01-01T00:00:00Z"),
        ])
        .unwrap();
        assert_eq!(
            q.filters[0],
            Filter::AnyOf {
                field: "status",
                values: vec!["InProgress".into(), "Pending".into()]
            }
        );
        assert_eq!(
            q.filters[1],
            Filter::Range {
                field: "lastModifiedDate",
                op: RangeOp::Gte,
                at: 1_767_225_600_000
            }
        );
        assert_eq!(
            q.sort,
            vec![
                SortKey {
                    field: "lastModifiedDate",
                    direction: Direction::Descending
                },
                SortKey {
                    field: "priority",
                    direction: Direction::Ascending
                }
            ]
        );
        assert_eq!((q.start, q.limit), (Start::Offset(0), 50));
    }

    #[test]
    fn defaults_apply() {
        let q = parse(&[]).unwrap();
        assert_eq!(q.limit, DEFAULT_LIMIT);
        assert_eq!(q.sort, CASES.default_sort.to_vec());
    }

    #[test]
    fn every_mistake_names_its_parameter() {
        type Case = (
            &'static [(&'static str, &'static str)],
            &'static str,
            &'static str,
        );
        let cases: &[Case] = &[
            (&[("stauts", "Pending")], "stauts", "unknown_parameter"),
            (&[("status", "Open")], "status", "invalid_filter"),
            (&[("status", "")], "status", "invalid_filter"),
            (&[("sort", "-color")], "sort", "invalid_sort"),
            (&[("sort", "status,-status")], "sort", "invalid_sort"),
            (&[("limit", "0")], "limit", "invalid_parameter"),
            (&[("limit", "201")], "limit", "invalid_parameter"),
            (&[("offset", "-1")], "offset", "invalid_parameter"),
            (&[("offset", "2147483648")], "offset", "invalid_parameter"),
            (
                &[("lastModifiedDate.gte", "yesterday")],
                "lastModifiedDate.gte",
                "invalid_date",
            ),
            (
                &[("lastModifiedDate", "2026-01-01T00:00:00Z")],
                "lastModifiedDate",
                "invalid_filter",
            ),
            (
                &[("status.gte", "Pending")],
                "status.gte",
                "unknown_parameter",
            ),
            (&[("cursor", "not-a-cursor")], "cursor", "invalid_cursor"),
            (
                &[("status", "Pending"), ("status", "Held")],
                "status",
                "duplicate_parameter",
            ),
        ];
        for (query, parameter, code) in cases {
            let errors = parse(query).unwrap_err();
            assert_eq!(
                (errors[0].parameter.as_str(), errors[0].code),
                (*parameter, *code),
                "{query:?}"
            );
            assert!(!errors[0].detail.is_empty());
        }
        let errors = parse(&[("stauts", "x"), ("limit", "999")]).unwrap_err();
        assert_eq!(errors.len(), 2, "all problems are reported at once");
    }

    #[test]
    fn repeated_filter_values_are_read_once_and_the_count_is_bounded() {
        let q = parse(&[("status", "Pending,InProgress,Pending, Pending")]).unwrap();
        assert_eq!(
            q.filters[0],
            Filter::AnyOf {
                field: "status",
                values: vec!["Pending".into(), "InProgress".into()]
            }
        );
        let many = vec!["Pending"; MAX_FILTER_VALUES + 1].join(",");
        let errors = parse(&[("status", &many)]).unwrap_err();
        assert_eq!(errors[0].code, "too_many_values");
        assert!(errors[0].detail.contains(&MAX_FILTER_VALUES.to_string()));
        let ids: Vec<String> = (0..=MAX_FILTER_VALUES)
            .map(|i| format!("SVC-{i:06}"))
            .collect();
        let errors = parse(&[("serviceId", &ids.join(","))]).unwrap_err();
        assert_eq!(errors[0].code, "too_many_values");
        let ids = &ids[..MAX_FILTER_VALUES];
        assert!(parse(&[("serviceId", &ids.join(","))]).is_ok());
        let long = "x".repeat(MAX_TEXT_VALUE + 1);
        assert_eq!(
            parse(&[("serviceId", &long)]).unwrap_err()[0].code,
            "invalid_filter"
        );
    }

    #[test]
    fn a_filter_to_every_value_of_a_choice_is_no_filter() {
        let q = parse(&[("priority", "P5,P4,P3,P2,P1,P1")]).unwrap();
        assert!(q.filters.is_empty());
        let q = parse(&[("priority", "P4,P3,P2,P1")]).unwrap();
        assert_eq!(q.filters.len(), 1);
    }

    #[test]
    fn offsets_stop_where_cursors_take_over() {
        let deepest = MAX_OFFSET.to_string();
        assert_eq!(
            parse(&[("offset", &deepest)]).unwrap().start,
            Start::Offset(MAX_OFFSET)
        );
        let beyond = (MAX_OFFSET + 1).to_string();
        let errors = parse(&[("offset", &beyond)]).unwrap_err();
        assert_eq!(errors[0].code, "invalid_parameter");
        assert!(errors[0].detail.contains(&deepest) && errors[0].detail.contains("cursor"));
    }

    #[test]
    fn a_flood_of_parameters_gets_a_short_answer() {
        let flood: Vec<(String, String)> = (0..5000)
            .map(|i| (format!("p{i}"), "x".to_owned()))
            .collect();
        let errors = CASES.parse(&flood).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "too_many_parameters");
        let many: Vec<(String, String)> = (0..MAX_PARAMETERS)
            .map(|i| (format!("p{i}"), "x".to_owned()))
            .collect();
        let errors = CASES.parse(&many).unwrap_err();
        assert_eq!(errors.len(), MAX_REPORTED_ERRORS + 1);
        assert_eq!(errors[MAX_REPORTED_ERRORS].code, "more_problems");
    }

    #[test]
    fn a_nul_character_is_refused_by_name() {
        for (name, value) in [("customerReference", "a\0b"), ("status", "Pending\0")] {
            let errors = parse(&[(name, value)]).unwrap_err();
            assert_eq!(
                (errors[0].parameter.as_str(), errors[0].code),
                (name, "invalid_character")
            );
        }
    }

    #[test]
    fn a_forged_cursor_of_the_wrong_types_is_refused() {
        use serde_json::json;
        let forge = |values: Vec<serde_json::Value>, id: i64| Cursor { values, id }.encode();
        let by_date = parse(&[("cursor", &forge(vec![json!(5)], 1))]);
        assert!(by_date.is_ok(), "the default sort is by a date, a number");
        for (sort, values) in [
            ("-lastModifiedDate", vec![json!("2026-01-01")]),
            ("-lastModifiedDate", vec![json!(1.5)]),
            ("-lastModifiedDate", vec![json!(null)]),
            ("status", vec![json!(5)]),
            ("status", vec![json!("Open")]),
            ("status", vec![json!(["Pending"])]),
            ("priority,-lastModifiedDate", vec![json!("P1"), json!("x")]),
        ] {
            let cursor = forge(values.clone(), 1);
            let errors = parse(&[("sort", sort), ("cursor", &cursor)]).unwrap_err();
            assert_eq!(errors[0].code, "invalid_cursor", "{sort} {values:?}");
        }
        let errors = parse(&[("cursor", &forge(vec![json!(5)], -1))]).unwrap_err();
        assert_eq!(errors[0].code, "invalid_cursor");
        let ok = forge(vec![json!("P1"), json!(7)], 3);
        assert!(parse(&[("sort", "priority,-lastModifiedDate"), ("cursor", &ok)]).is_ok());
    }

    #[test]
    fn calendar_dates_filter_by_whole_days() {
        const LINES: ListSpec = ListSpec {
            fields: &[Field {
                name: "invoiceDate",
                kind: FieldKind::Day,
                filterable: true,
                sortable: false,
            }],
            default_sort: &[],
        };
        let parse = |k: &str, v: &str| LINES.parse(&[(k.to_owned(), v.to_owned())]);
        assert_eq!(
            parse("invoiceDate.gte", "2026-01-01").unwrap().filters[0],
            Filter::Range {
                field: "invoiceDate",
                op: RangeOp::Gte,
                at: 1_767_225_600_000
            }
        );
        for bad in [
            "2026-1-1",
            "2026-02-30",
            "2026-01-01T00:00:00Z",
            "+2026-01-01",
        ] {
            assert_eq!(
                parse("invoiceDate.lt", bad).unwrap_err()[0].code,
                "invalid_date",
                "{bad}"
            );
        }
        assert_eq!(
            parse("invoiceDate", "2026-01-01").unwrap_err()[0].code,
            "invalid_filter"
        );
        let fixed = parse("sort", "invoiceDate").unwrap_err();
        assert!(fixed[0].detail.contains("fixed order"), "{fixed:?}");
    }

    #[test]
    fn cursors_round_trip_and_must_match_the_sort() {
        let cursor = Cursor {
            values: vec![serde_json::json!(1_767_225_600_000i64)],
            id: 42,
        };
        let text = cursor.encode();
        assert_eq!(Cursor::decode(&text), Some(cursor.clone()));
        let q = parse(&[("cursor", &text)]).unwrap();
        assert_eq!(q.start, Start::After(cursor));
        assert_eq!(
            parse(&[("cursor", &text), ("sort", "status,priority")]).unwrap_err()[0].code,
            "invalid_cursor"
        );
        assert_eq!(
            parse(&[("cursor", &text), ("offset", "5")]).unwrap_err()[0].code,
            "conflicting_parameters"
        );
    }
}
