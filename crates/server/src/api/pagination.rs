//! The list envelope every collection uses: `{"data": [...], "pagination": {...}}`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::{ApiError, FieldError};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Records to skip (default 0).
    pub offset: Option<String>,
    /// Records per page, 1–200 (default 50).
    pub limit: Option<String>,
}

impl PageQuery {
    pub fn parse(&self) -> Result<(u32, u32), ApiError> {
        let number =
            |name: &str, text: &Option<String>, default: u32, max: u32| -> Result<u32, ApiError> {
                match text {
                    None => Ok(default),
                    Some(t) => t
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n <= max && (name == "offset" || *n >= 1))
                        .ok_or_else(|| ApiError::BadRequest {
                            code: "invalid_parameter",
                            detail: format!(
                                "{name} must be a whole number{}",
                                if name == "limit" {
                                    " from 1 to 200"
                                } else {
                                    " of 0 or more"
                                }
                            ),
                            errors: vec![FieldError::new(
                                name,
                                "invalid_parameter",
                                format!("'{t}' is not a valid {name}"),
                            )],
                        }),
                }
            };
        Ok((
            number("offset", &self.offset, 0, u32::MAX)?,
            number("limit", &self.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
        ))
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub offset: u32,
    pub limit: u32,
    pub total: u64,
    /// Opaque cursor for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Page<T> {
    /// One page out of a list already in memory.
    pub fn slice(all: Vec<T>, offset: u32, limit: u32) -> Page<T> {
        let total = all.len() as u64;
        let data = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Page {
            data,
            pagination: Pagination {
                offset,
                limit,
                total,
                next_cursor: None,
            },
        }
    }
}
