//! Portal forms as name/value pairs, so repeated names (scope check boxes) keep every value.

use axum::body::Bytes;

use super::PortalError;
use crate::http::problem::{ApiError, FieldError};

pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &Bytes) -> Result<FormFields, PortalError> {
        let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|_| PortalError::BadForm)?;
        // No text the portal stores may hold NUL (PostgreSQL refuses it); say which field.
        if let Some((name, _)) = fields
            .iter()
            .find(|(n, v)| n.contains('\0') || v.contains('\0'))
        {
            let name = name.replace('\0', "");
            return Err(PortalError::Api(ApiError::BadRequest {
                code: "invalid_character",
                detail: format!("the field '{name}' contains a NUL character; remove it"),
                errors: vec![FieldError::new(
                    name,
                    "invalid_character",
                    "contains a NUL character",
                )],
            }));
        }
        Ok(FormFields(fields))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}
