//! The settler's private key, read from an environment variable or a file. The key's text is
//! never logged and never part of an error message: a malformed key is reported by where it came
//! from and what is wrong with its shape, not by its content.

use std::path::Path;

use alloy::signers::local::PrivateKeySigner;

/// Why a key could not be loaded. Never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The environment variable is not set (or not Unicode).
    #[error("environment variable {var} is not set")]
    MissingEnv {
        /// The variable.
        var: String,
    },
    /// The key file cannot be read.
    #[error("cannot read key file {path}: {detail}")]
    Unreadable {
        /// The file.
        path: String,
        /// What the OS said.
        detail: String,
    },
    /// The text is not a secp256k1 private key: 32 bytes, hex, optionally 0x-prefixed.
    #[error("{source_name} does not hold a private key (expected 64 hex digits, optionally 0x-prefixed; got {length} characters)")]
    Malformed {
        /// Where the text came from (variable or file).
        source_name: String,
        /// Its length after trimming whitespace (the only thing said about it).
        length: usize,
    },
}

/// A loaded signing key; its `Debug` shows only the address.
pub struct SigningKey {
    signer: PrivateKeySigner,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("address", &self.signer.address())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads the key from environment variable `var`.
    pub fn from_env(var: &str) -> Result<Self, KeyError> {
        let text = std::env::var(var).map_err(|_| KeyError::MissingEnv { var: var.to_string() })?;
        Self::parse(&text, &format!("environment variable {var}"))
    }

    /// Reads the key from a file holding it as hex (surrounding whitespace ignored).
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|error| KeyError::Unreadable {
            path: path.display().to_string(),
            detail: error.kind().to_string(),
        })?;
        Self::parse(&text, &format!("key file {}", path.display()))
    }

    /// Parses hex key text; `source_name` says where it came from, for the error.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, KeyError> {
        let trimmed = text.trim();
        let malformed = || KeyError::Malformed {
            source_name: source_name.to_string(),
            length: trimmed.chars().count(),
        };
        let hex = trimmed.strip_prefix("0x").unwrap_or(trimmed);
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed());
        }
        let signer: PrivateKeySigner = hex.parse().map_err(|_| malformed())?;
        Ok(Self { signer })
    }

    /// The account the key signs for.
    pub fn address(&self) -> alloy_primitives::Address {
        self.signer.address()
    }

    pub(crate) fn into_signer(self) -> PrivateKeySigner {
        self.signer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    #[test]
    fn a_key_file_with_a_newline_loads_and_debug_shows_only_the_address() {
        let path = std::env::temp_dir().join(format!("gridbook-key-{}", std::process::id()));
        std::fs::write(&path, format!("{KEY}\n")).unwrap();
        let key = SigningKey::from_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let debug = format!("{key:?}");
        assert!(debug.to_lowercase().contains("0xf39fd6e5"), "{debug}");
        assert!(!debug.to_lowercase().contains(&KEY[2..12]), "{debug}");
    }

    #[test]
    fn a_malformed_key_error_never_contains_the_key_text() {
        // One digit short, and one non-hex character: both refused without echoing the text.
        for bad in [&KEY[..KEY.len() - 1], &format!("{}z", &KEY[..KEY.len() - 1])] {
            let error = SigningKey::parse(bad, "key file k").unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains(&bad[2..20]), "{shown}");
            assert!(shown.contains("key file k"), "{shown}");
        }
    }

    #[test]
    fn a_missing_variable_or_file_names_it() {
        let error = SigningKey::from_env("GRIDBOOK_TEST_KEY_NEVER_SET").unwrap_err();
        assert!(error.to_string().contains("GRIDBOOK_TEST_KEY_NEVER_SET"));
        let error = SigningKey::from_file(Path::new("/nonexistent/gridbook.key")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/gridbook.key"));
    }
}
