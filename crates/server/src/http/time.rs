//! Times as the API writes and reads them: RFC 3339 in UTC, whole seconds.

/// Unix milliseconds as RFC 3339 (`2026-11-26T14:27:07Z`).
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.replace_nanosecond(0).unwrap_or(t))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// An RFC 3339 time from a request body as Unix milliseconds; the error names the field.
pub fn parse_time(pointer: &str, text: &str) -> Result<i64, super::FieldError> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            super::FieldError::new(
                pointer,
                "invalid_time",
                format!(
                    "'{text}' is not an RFC 3339 time; write it like 2026-11-26T08:15:00Z or 2026-11-26T09:15:00+01:00"
                ),
            )
        })
}
