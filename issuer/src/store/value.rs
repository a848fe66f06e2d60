//! The values that cross the storage seam: SQL parameters and the columns of a result row,
//! the same for every backend.
//!
//! The aggregates ([`crate::store::accounts`] and its siblings) write their SQL once, with
//! PostgreSQL's `$1` placeholders (SQLite reads them as `?1`), and speak only [`Value`] and
//! [`Row`]; each backend converts to its driver's types. Only four kinds are stored: 64-bit
//! integers, bytes, text and NULL (no floats, no booleans: flags are integers 0/1 on both).

use crate::IssuerError;

/// One SQL parameter or column value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// NULL.
    Null,
    /// A 64-bit integer (SQLite INTEGER, PostgreSQL BIGINT).
    Int(i64),
    /// Bytes (SQLite BLOB, PostgreSQL BYTEA).
    Bytes(Vec<u8>),
    /// Text.
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<&Vec<u8>> for Value {
    fn from(v: &Vec<u8>) -> Self {
        Value::Bytes(v.clone())
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// `args![a, b, …]`: a slice of [`Value`]s, each converted with `From`.
#[macro_export]
#[doc(hidden)]
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        &[$($crate::store::Value::from($v)),*][..]
    };
}

/// One result row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

fn mismatch(i: usize, want: &str, got: Option<&Value>) -> IssuerError {
    IssuerError::Internal { what: format!("stored column {i}: expected {want}, found {got:?}") }
}

impl Row {
    /// Column `i` as an integer (NULL is an error).
    pub fn int(&self, i: usize) -> Result<i64, IssuerError> {
        self.opt_int(i)?.ok_or_else(|| mismatch(i, "an integer", self.0.get(i)))
    }

    /// Column `i` as an integer or NULL.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, IssuerError> {
        match self.0.get(i) {
            Some(Value::Int(v)) => Ok(Some(*v)),
            Some(Value::Null) => Ok(None),
            other => Err(mismatch(i, "an integer", other)),
        }
    }

    /// Column `i` as bytes (NULL is an error).
    pub fn bytes(&self, i: usize) -> Result<Vec<u8>, IssuerError> {
        self.opt_bytes(i)?.ok_or_else(|| mismatch(i, "bytes", self.0.get(i)))
    }

    /// Column `i` as bytes or NULL.
    pub fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, IssuerError> {
        match self.0.get(i) {
            Some(Value::Bytes(v)) => Ok(Some(v.clone())),
            Some(Value::Null) => Ok(None),
            other => Err(mismatch(i, "bytes", other)),
        }
    }

    /// Column `i` as text (NULL is an error).
    pub fn text(&self, i: usize) -> Result<String, IssuerError> {
        match self.0.get(i) {
            Some(Value::Text(v)) => Ok(v.clone()),
            other => Err(mismatch(i, "text", other)),
        }
    }
}

/// The SQLite spelling of a statement written with `$n` placeholders (`?n`).
pub(crate) fn sqlite_dialect(sql: &str) -> String {
    sql.replace('$', "?")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_row_refuses_a_column_of_another_kind() {
        let row = Row(vec![Value::Int(5), Value::Null, Value::Bytes(vec![1]), Value::Text("x".into())]);
        assert_eq!(row.int(0).unwrap(), 5);
        assert_eq!(row.opt_int(1).unwrap(), None);
        assert!(row.int(1).is_err(), "NULL is not an integer");
        assert_eq!(row.bytes(2).unwrap(), vec![1]);
        assert!(row.bytes(0).is_err());
        assert_eq!(row.text(3).unwrap(), "x");
        assert!(row.int(9).is_err(), "a missing column is an error, not a panic");
    }

    #[test]
    fn placeholders_are_spelled_for_sqlite() {
        assert_eq!(
            sqlite_dialect("SELECT a FROM t WHERE b = $1 AND c = $2"),
            "SELECT a FROM t WHERE b = ?1 AND c = ?2"
        );
    }
}
