//! Salted digests of sensitive values: how a secret is remembered without being stored.
//!
//! A sensitive value is stored as `"<salt-hex>:<sha256-hex>"`: 16 random bytes of salt,
//! fresh for every value written, and SHA-256 over a domain tag, the salt and a canonical
//! encoding of the value. A later plan recomputes the digest of the new value with the
//! stored salt to tell whether it changed ([`SensitiveDigest::matches`]).
//!
//! Invariants: the plain value never leaves this module in any form but the digest; the
//! canonical encoding is injective (type-tagged, length-prefixed, maps in key order), so
//! `1`, `1.0`, `"1"` and `["1"]` all have different digests; it is part of the state
//! format, and changing it requires a new format version.
//!
//! Limit: a salted hash stops rainbow tables and cross-value comparison, not a targeted
//! guess of a low-entropy secret by someone who holds the state file.

use std::fmt;
use std::str::FromStr;

use crate::value::Value;
use sha2::{Digest, Sha256};

const SALT_LEN: usize = 16;
const DIGEST_LEN: usize = 32;
/// Domain separation: these digests are never comparable with any other SHA-256 use.
const DOMAIN: &[u8] = b"strata/sensitive-value/v1\0";

/// The stored form of a sensitive value. Comparing two digests compares their stored
/// form: the same value hashed twice gives two different digests (different salts).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SensitiveDigest {
    salt: [u8; SALT_LEN],
    digest: [u8; DIGEST_LEN],
}

impl SensitiveDigest {
    /// Digest `value` with a fresh random salt.
    ///
    /// Panics only if the operating system's random number generator fails, as
    /// generating a UUID does.
    pub fn of(value: &Value) -> Self {
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).expect("the operating system's random number generator failed");
        Self::with_salt(salt, value)
    }

    fn with_salt(salt: [u8; SALT_LEN], value: &Value) -> Self {
        SensitiveDigest {
            salt,
            digest: digest(&salt, value),
        }
    }

    /// Whether `value` is the value this digest was made from.
    pub fn matches(&self, value: &Value) -> bool {
        let other = digest(&self.salt, value);
        // Constant time: the comparison must not tell how many leading bytes agree.
        self.digest
            .iter()
            .zip(other.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

fn digest(salt: &[u8; SALT_LEN], value: &Value) -> [u8; DIGEST_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(salt);
    encode(&mut hasher, value);
    hasher.finalize().into()
}

/// The canonical encoding, fed straight into the hasher (no intermediate buffer).
fn encode(h: &mut Sha256, value: &Value) {
    match value {
        Value::Null => h.update(b"n"),
        Value::Bool(false) => h.update(b"f"),
        Value::Bool(true) => h.update(b"t"),
        Value::Int(i) => {
            h.update(b"i");
            h.update(i.to_be_bytes());
        }
        Value::Float(x) => {
            h.update(b"d");
            h.update(x.to_bits().to_be_bytes());
        }
        Value::String(s) => encode_str(h, s),
        Value::List(items) => {
            h.update(b"l");
            h.update((items.len() as u64).to_be_bytes());
            for item in items {
                encode(h, item);
            }
        }
        Value::Map(map) => {
            h.update(b"m");
            h.update((map.len() as u64).to_be_bytes());
            for (k, v) in map {
                encode_str(h, k);
                encode(h, v);
            }
        }
    }
}

fn encode_str(h: &mut Sha256, s: &str) {
    h.update(b"s");
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

impl fmt::Display for SensitiveDigest {
    /// The stored form, `<salt-hex>:<sha256-hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.salt {
            write!(f, "{b:02x}")?;
        }
        f.write_str(":")?;
        for b in self.digest {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Serialised as its text form, `"<salt-hex>:<sha256-hex>"`.
impl serde::Serialize for SensitiveDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SensitiveDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for SensitiveDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SensitiveDigest({self})")
    }
}

/// Why a stored sensitive marker could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDigest;

impl fmt::Display for BadDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a sensitive value must be stored as \"<{}-hex-digit salt>:<{}-hex-digit sha256>\"",
            SALT_LEN * 2,
            DIGEST_LEN * 2
        )
    }
}

impl FromStr for SensitiveDigest {
    type Err = BadDigest;

    fn from_str(s: &str) -> Result<Self, BadDigest> {
        let (salt, digest) = s.split_once(':').ok_or(BadDigest)?;
        Ok(SensitiveDigest {
            salt: hex_array(salt)?,
            digest: hex_array(digest)?,
        })
    }
}

fn hex_array<const N: usize>(s: &str) -> Result<[u8; N], BadDigest> {
    let bytes = s.as_bytes();
    if bytes.len() != N * 2 {
        return Err(BadDigest);
    }
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Ok(out)
}

/// Lowercase only, so that a digest has exactly one stored spelling.
fn hex_digit(c: u8) -> Result<u8, BadDigest> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(BadDigest),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let d = SensitiveDigest::of(&Value::from("hunter2"));
        let text = d.to_string();
        assert_eq!(text.len(), 32 + 1 + 64);
        assert_eq!(text.parse::<SensitiveDigest>().unwrap(), d);
    }

    #[test]
    fn parse_rejects_malformed_markers() {
        let good = SensitiveDigest::of(&Value::Null).to_string();
        for bad in [
            "",
            "abc",
            &good.replace(':', ""),
            &good.to_uppercase(),
            &good[1..],
            &format!("{good}0"),
            &good.replacen('0', "g", 1),
        ] {
            assert_eq!(bad.parse::<SensitiveDigest>(), Err(BadDigest), "{bad:?}");
        }
    }

    #[test]
    fn known_digest_is_stable() {
        // Pins the canonical encoding: changing it would make every stored sensitive
        // value look changed, so it needs a new format version.
        let d = SensitiveDigest::with_salt([0; SALT_LEN], &Value::from("secret"));
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update([0u8; SALT_LEN]);
        h.update(b"s");
        h.update(6u64.to_be_bytes());
        h.update(b"secret");
        let expected: [u8; DIGEST_LEN] = h.finalize().into();
        assert_eq!(d.digest, expected);
    }

    #[test]
    fn encoding_keeps_kinds_and_structure_apart() {
        let salt = [7; SALT_LEN];
        let values = [
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            Value::Int(1),
            Value::Float(1.0),
            Value::String("1".into()),
            Value::String("".into()),
            Value::List(vec![]),
            Value::List(vec![Value::from("1")]),
            Value::List(vec![Value::from("ab")]),
            Value::List(vec![Value::from("a"), Value::from("b")]),
            Value::Map(BTreeMap::new()),
            Value::Map(BTreeMap::from([("a".to_owned(), Value::from("b"))])),
            Value::Map(BTreeMap::from([("ab".to_owned(), Value::from(""))])),
        ];
        let digests: Vec<_> = values.iter().map(|v| digest(&salt, v)).collect();
        for i in 0..digests.len() {
            for j in i + 1..digests.len() {
                assert_ne!(digests[i], digests[j], "{:?} vs {:?}", values[i], values[j]);
            }
        }
    }

    #[test]
    fn matches_only_the_same_value() {
        let v = Value::Map(BTreeMap::from([
            ("user".to_owned(), Value::from("admin")),
            ("password".to_owned(), Value::from("correct horse")),
        ]));
        let d = SensitiveDigest::of(&v);
        assert!(d.matches(&v));
        assert!(d.matches(&v.clone()));
        let mut other = v.clone();
        if let Value::Map(m) = &mut other {
            m.insert("password".into(), Value::from("correct horsE"));
        }
        assert!(!d.matches(&other));
        assert!(!d.matches(&Value::Null));
    }

    #[test]
    fn salts_are_fresh() {
        let v = Value::from("same");
        assert_ne!(SensitiveDigest::of(&v), SensitiveDigest::of(&v));
    }
}
