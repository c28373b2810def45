//! A validated HTTP request header, safe to splice into ffmpeg's `-headers` value.

/// One HTTP request header whose name is an HTTP token and whose value is one line
/// of text, so that it cannot inject extra header lines into ffmpeg's requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    name: String,
    value: String,
}

/// Why a header was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// `Name: value` without the colon.
    #[error("header {0:?} has no ':': write headers as 'Name: value'")]
    MissingColon(String),
    /// The name is empty.
    #[error("header name is empty: write headers as 'Name: value'")]
    EmptyName,
    /// The name holds a character HTTP does not allow in a header name.
    #[error(
        "header name {0:?} is not a valid HTTP token: use letters, digits and !#$%&'*+-.^_`|~ only"
    )]
    InvalidName(String),
    /// The value holds CR, LF or another control character.
    #[error(
        "value of header {0:?} contains a line break or control character: a header value must be one line of text"
    )]
    InvalidValue(String),
}

impl Header {
    /// A header from its name and value; surrounding spaces and tabs of the value are trimmed.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Result<Self, HeaderError> {
        let name = name.into();
        let value = value.into();
        if name.is_empty() {
            return Err(HeaderError::EmptyName);
        }
        if !name.bytes().all(is_token_byte) {
            return Err(HeaderError::InvalidName(name));
        }
        let value = value.trim_matches([' ', '\t']).to_owned();
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(HeaderError::InvalidValue(name));
        }
        Ok(Header { name, value })
    }

    /// Parses a raw `Name: value` line, as given on the command line.
    pub fn parse(line: &str) -> Result<Self, HeaderError> {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| HeaderError::MissingColon(line.to_owned()))?;
        Header::new(name.trim_matches([' ', '\t']), value)
    }

    /// The header name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header value, trimmed.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
