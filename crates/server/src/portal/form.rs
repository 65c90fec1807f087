//! Portal forms as name/value pairs, so repeated names (scope check boxes) keep every value.

use axum::body::Bytes;

use super::PortalError;

pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &Bytes) -> Result<FormFields, PortalError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(FormFields)
            .map_err(|_| PortalError::BadForm)
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
