//! The values a statement binds to its `$n` placeholders, on either backend
//! and on either path to SQLite (sqlx, or [`crate::direct`]).

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    Bytes(Vec<u8>),
    F64(Option<f64>),
}

impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::F64(Some(v))
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::I64(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

/// Builds a `Vec<Arg>` from values of mixed types: `args![id, name, None::<i64>]`.
#[macro_export]
macro_rules! args {
    ($($value:expr),* $(,)?) => { vec![$($crate::arg::Arg::from($value)),*] };
}
