//! JSON request bodies with errors a person can act on: syntax errors give line
//! and column, typographic quotes (as pasted from documents) are named as such,
//! and field errors carry a JSON Pointer.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use super::problem::{ApiError, FieldError};
use super::request_body::{BodyLimit, DEFAULT_MAX_BYTES, too_large_detail};

/// Like `axum::Json`, but failing with RFC 9457 problems.
pub struct ApiJson<T>(pub T);

const TYPOGRAPHIC_QUOTES: [char; 6] = [
    '\u{201C}', '\u{201D}', '\u{201E}', '\u{2018}', '\u{2019}', '\u{201A}',
];

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType {
                detail: format!(
                    "the body must be JSON: send 'Content-Type: application/json' (got '{}')",
                    if essence.is_empty() {
                        "nothing"
                    } else {
                        &essence
                    }
                ),
            });
        }
        let limit = request
            .extensions()
            .get::<BodyLimit>()
            .map_or(DEFAULT_MAX_BYTES, |limit| limit.0);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge {
                        detail: too_large_detail(limit),
                    }
                } else {
                    ApiError::bad_request("unreadable_body", rejection.body_text())
                }
            })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body, turning every failure into a problem that says what to fix.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ApiError::bad_request(
            "invalid_json",
            format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    if text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "invalid_json",
            "the body is empty; send a JSON object",
        ));
    }
    // serde would read an array positionally into a struct's fields; every body here is an object.
    if text.trim_start().starts_with('[') {
        return Err(ApiError::validation(vec![FieldError::new(
            "",
            "invalid_type",
            "the body is a JSON array; send a JSON object, as the API reference shows",
        )]));
    }
    // JSON can carry NUL only escaped; PostgreSQL cannot store it in text and SQLite
    // would cut strings at it, so it is refused by name on both alike.
    if text.contains("\\u0000")
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
        && let Some(pointer) = first_nul(&value, String::new())
    {
        let shown = pointer.replace('\0', "\\u0000");
        return Err(ApiError::BadRequest {
            code: "invalid_character",
            detail: format!("'{shown}' contains a NUL character (\\u0000); remove it"),
            errors: vec![FieldError::new(
                shown,
                "invalid_character",
                "contains a NUL character (\\u0000); remove it",
            )],
        });
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let inner = error.inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let mut pointer = json_pointer(&error.path().to_string());
                let detail = strip_position(&inner.to_string());
                // serde reports a missing field at its parent; point at the field itself.
                if let Some(field) = detail
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.split('`').next())
                {
                    pointer = format!("{pointer}/{field}");
                }
                ApiError::validation(vec![FieldError::new(pointer, "invalid_value", detail)])
            }
            _ => syntax_problem(text, inner),
        }
    })?;
    deserializer.end().map_err(|e| syntax_problem(text, &e))?;
    Ok(value)
}

/// The JSON Pointer of the first string (or key) holding a NUL character.
fn first_nul(value: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    match value {
        Value::String(s) if s.contains('\0') => Some(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| first_nul(item, format!("{at}/{i}"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let here = format!("{at}/{}", escape(key));
            if key.contains('\0') {
                Some(here)
            } else {
                first_nul(item, here)
            }
        }),
        _ => None,
    }
}

fn syntax_problem(text: &str, error: &serde_json::Error) -> ApiError {
    if let Some((line, column, quote)) = first_typographic_quote(text) {
        return ApiError::BadRequest {
            code: "typographic_quotes",
            detail: format!(
                "the body contains a typographic quote {quote} at line {line}, column {column}; JSON needs straight double quotes (\"), as in [\"BasicRead\"]. This often happens when copying from a document."
            ),
            errors: vec![FieldError::new(
                format!("line {line}, column {column}"),
                "typographic_quotes",
                "replace typographic quotes with straight double quotes (\")",
            )],
        };
    }
    let (line, column) = (error.line(), error.column());
    ApiError::BadRequest {
        code: "invalid_json",
        detail: format!(
            "the body is not valid JSON: {} at line {line}, column {column}",
            strip_position(&error.to_string())
        ),
        errors: vec![],
    }
}

fn first_typographic_quote(text: &str) -> Option<(usize, usize, char)> {
    for (index, line) in text.lines().enumerate() {
        if let Some((col, quote)) = line
            .chars()
            .enumerate()
            .find(|(_, c)| TYPOGRAPHIC_QUOTES.contains(c))
        {
            return Some((index + 1, col + 1, quote));
        }
    }
    None
}

/// serde_json appends " at line L column C"; the problem says it its own way.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// `scopes[0]` → `/scopes/0`; `.` (the root) → ``.
fn json_pointer(path: &str) -> String {
    if path == "." {
        return String::new();
    }
    let mut pointer = String::new();
    for part in path.split('.') {
        let mut rest = part;
        while let Some(open) = rest.find('[') {
            if open > 0 {
                pointer.push('/');
                pointer.push_str(&rest[..open]);
            }
            let close = rest[open..].find(']').map_or(rest.len(), |c| open + c);
            pointer.push('/');
            pointer.push_str(&rest[open + 1..close]);
            rest = &rest[(close + 1).min(rest.len())..];
        }
        if !rest.is_empty() {
            pointer.push('/');
            pointer.push_str(rest);
        }
    }
    pointer
}

/// An optional whole number that also accepts `24.0`: JSON does not tell the two
/// apart, and some encoders (JavaScript's among them) may write either.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    use serde::Deserialize;
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let whole = number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u64)
    });
    whole
        .and_then(|n| u32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a whole number of 0 or more, not {number}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        scopes: Vec<String>,
    }

    fn problem(body: &str) -> (String, String) {
        match parse::<Body>(body.as_bytes()).unwrap_err() {
            ApiError::BadRequest { code, detail, .. }
            | ApiError::Unprocessable { code, detail, .. } => (code.to_owned(), detail),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_nul_character_is_refused_with_its_pointer() {
        for (body, pointer) in [
            (r#"{"scopes": ["a\u0000b"]}"#, r"/scopes/0"),
            (r#"{"scopes": [], "x\u0000": 1}"#, r"/x\u0000"),
        ] {
            match parse::<Body>(body.as_bytes()).unwrap_err() {
                ApiError::BadRequest { code, errors, .. } => {
                    assert_eq!(code, "invalid_character", "{body}");
                    assert_eq!(errors[0].pointer, pointer);
                }
                other => panic!("{other:?}"),
            }
        }
        // An escaped backslash before u0000 is text, not NUL.
        assert!(parse::<Body>(br#"{"scopes": ["\\u0000"]}"#).is_ok());
    }

    #[test]
    fn the_help_articles_curly_quotes_are_named_with_line_and_column() {
        let (code, detail) = problem(
            "{ \"apiClientName\": \"ScopeName1\", \"scopes\": [ \u{201C}BasicRead\u{201D} ] }",
        );
        assert_eq!(code, "typographic_quotes");
        assert!(detail.contains("line 1, column 46"), "{detail}");
        let (_, detail) = problem("{\n  \"scopes\": [\n    \u{201C}BasicRead\u{201D}\n  ]\n}");
        assert!(detail.contains("line 3, column 5"), "{detail}");
    }

    #[test]
    fn syntax_and_field_errors_say_where() {
        let (code, detail) = problem("{\"scopes\": [}");
        assert_eq!(code, "invalid_json");
        assert!(detail.contains("line 1, column"), "{detail}");
        match parse::<Body>(br#"{"scopes": [1]}"#).unwrap_err() {
            ApiError::Unprocessable { errors, .. } => assert_eq!(errors[0].pointer, "/scopes/0"),
            other => panic!("{other:?}"),
        }
        assert_eq!(problem("").0, "invalid_json");
        assert_eq!(problem("{\"scopes\": []} trailing").0, "invalid_json");
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        assert_eq!(json_pointer("scopes[2]"), "/scopes/2");
        assert_eq!(json_pointer("a.b[0].c"), "/a/b/0/c");
        assert_eq!(json_pointer("."), "");
    }

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "super::whole_number")]
            hours: Option<u32>,
        }
        let hours = |text: &str| parse::<Body>(text.as_bytes()).map(|b| b.hours);
        assert_eq!(hours(r#"{"hours": 24}"#).unwrap(), Some(24));
        assert_eq!(hours(r#"{"hours": 24.0}"#).unwrap(), Some(24));
        assert_eq!(hours(r#"{}"#).unwrap(), None);
        for refused in [
            r#"{"hours": 1.5}"#,
            r#"{"hours": -1}"#,
            r#"{"hours": "24"}"#,
        ] {
            assert!(hours(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn an_array_is_not_read_into_an_object_field_by_field() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Body {
            #[serde(default)]
            name: String,
        }
        let error = parse::<Body>(b"[]").err().expect("refused");
        assert!(error.to_string().contains("send a JSON object"), "{error}");
    }
}
