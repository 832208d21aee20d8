//! The wire form of a command line: serde structs that mirror docs/order-stream.md exactly.
//!
//! Both directions use these types, so what [`super::encode_command`] writes is by construction
//! what [`super::Decoder`] reads. Unknown fields are refused everywhere; optional fields are
//! only `expires` and the pair `price`/`limit` or `peg` (exactly one of the two, which the
//! decoder checks); `tee` must be present even when null. Prices are decimal strings, never
//! JSON numbers (a number is a binary float to most JSON writers, so `1.1` may not be what was
//! meant): a number gets an error that names the field and shows the form to use.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;

/// A string field: borrowed from the line by the hand-written reader ([`super::scan`]), owned
/// when serde read it (the fallback path, which is not the hot one), borrowed from the name
/// table when encoding.
pub(crate) type Text<'a> = Cow<'a, str>;

/// A field that must be present but may be `null`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// Reads a decimal string; anything else is refused naming `field`.
struct DecimalText {
    field: &'static str,
}

impl DecimalText {
    fn number<E: de::Error>(&self, number: impl std::fmt::Display) -> E {
        E::custom(format_args!(
            "{} must be a decimal string such as \"1.5\", not the number {number}",
            self.field
        ))
    }
}

impl Visitor<'_> for DecimalText {
    type Value = Text<'static>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} as a decimal string such as \"1.5\"", self.field)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'static>, E> {
        Ok(Cow::Owned(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'static>, E> {
        Ok(Cow::Owned(text))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Text<'static>, E> {
        Err(self.number(number))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Text<'static>, E> {
        Err(self.number(number))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Text<'static>, E> {
        Err(self.number(number))
    }
}

fn decimal<'de, 'a, D: Deserializer<'de>>(d: D, field: &'static str) -> Result<Text<'a>, D::Error> {
    d.deserialize_any(DecimalText { field }).map(|text| Cow::Owned(text.into_owned()))
}

/// An optional decimal field (`price`, `limit`): absent or `null` is `None`.
fn optional_decimal<'de, 'a, D: Deserializer<'de>>(
    d: D,
    field: &'static str,
) -> Result<Option<Text<'a>>, D::Error> {
    struct Optional(&'static str);
    impl<'de> Visitor<'de> for Optional {
        type Value = Option<Text<'static>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{} as a decimal string such as \"1.5\"", self.0)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<Text<'static>>, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Text<'static>>, D::Error> {
            decimal(d, self.0).map(Some)
        }
    }
    // Owned (`'static`) text outlives any `'a` the caller asks for.
    d.deserialize_option(Optional(field)).map(|text| text.map(|t| Cow::Owned(t.into_owned())))
}

fn ask_price<'de, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Text<'a>>, D::Error> {
    optional_decimal(d, "price")
}

fn bid_limit<'de, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Text<'a>>, D::Error> {
    optional_decimal(d, "limit")
}

fn peg_offset<'de, 'a, D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
    decimal(d, "peg.offset")
}

fn peg_limit<'de, 'a, D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
    decimal(d, "peg.limit")
}

fn reference_price<'de, 'a, D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
    decimal(d, "price")
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireHardware<'a> {
    pub(crate) cpu: u32,
    pub(crate) mem: u32,
    #[serde(deserialize_with = "nullable")]
    pub(crate) gpu: Option<Text<'a>>,
    pub(crate) gpus: u32,
    pub(crate) gpu_mem: u32,
    #[serde(deserialize_with = "nullable")]
    pub(crate) tee: Option<Text<'a>>,
    pub(crate) region: Text<'a>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireRequirements<'a> {
    pub(crate) cpu: u32,
    pub(crate) mem: u32,
    pub(crate) gpu: Vec<Text<'a>>,
    pub(crate) gpus: u32,
    pub(crate) gpu_mem: u32,
    #[serde(deserialize_with = "nullable")]
    pub(crate) tee: Option<Text<'a>>,
    pub(crate) regions: Vec<Text<'a>>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WireTif {
    Gtc,
    Ioc,
    Fok,
    Post,
}

/// A peg: `{"class":"gpu.a100-80gb","offset":"-0.05","limit":"2.00"}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WirePeg<'a> {
    pub(crate) class: Text<'a>,
    #[serde(deserialize_with = "peg_offset")]
    pub(crate) offset: Text<'a>,
    #[serde(deserialize_with = "peg_limit")]
    pub(crate) limit: Text<'a>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireAsk<'a> {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: Text<'a>,
    pub(crate) id: Text<'a>,
    pub(crate) owner: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "ask_price")]
    pub(crate) price: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) peg: Option<WirePeg<'a>>,
    pub(crate) qty: u64,
    pub(crate) tif: WireTif,
    pub(crate) hw: WireHardware<'a>,
    pub(crate) from: u64,
    pub(crate) until: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires: Option<u64>,
    /// The owner's EIP-712 signature, as a node journals it (docs/api.md); carried, never
    /// checked here: the node verifies it before the command is journaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sig: Option<Text<'a>>,
    /// The owner's signed session, which a node journals in place of `sig` for a command
    /// sent on a session (docs/api.md); carried, never checked here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<WireSession<'a>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireBid<'a> {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: Text<'a>,
    pub(crate) id: Text<'a>,
    pub(crate) owner: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "bid_limit")]
    pub(crate) limit: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) peg: Option<WirePeg<'a>>,
    pub(crate) qty: u64,
    pub(crate) tif: WireTif,
    pub(crate) req: WireRequirements<'a>,
    pub(crate) duration: u64,
    pub(crate) not_before: u64,
    pub(crate) deadline: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires: Option<u64>,
    /// The owner's EIP-712 signature, as a node journals it (docs/api.md); carried, never
    /// checked here: the node verifies it before the command is journaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sig: Option<Text<'a>>,
    /// The owner's signed session, which a node journals in place of `sig` for a command
    /// sent on a session (docs/api.md); carried, never checked here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<WireSession<'a>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireCancel<'a> {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: Text<'a>,
    pub(crate) id: Text<'a>,
    pub(crate) owner: Text<'a>,
    /// The owner's EIP-712 signature, as a node journals it (docs/api.md); carried, never
    /// checked here: the node verifies it before the command is journaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sig: Option<Text<'a>>,
    /// The owner's signed session, which a node journals in place of `sig` for a command
    /// sent on a session (docs/api.md); carried, never checked here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<WireSession<'a>>,
}

/// A session's signed request, `Session{owner, expires, nonce}` with the command's `owner`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireSession<'a> {
    pub(crate) expires: u64,
    pub(crate) nonce: Text<'a>,
    pub(crate) sig: Text<'a>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireTick<'a> {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: Text<'a>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireReference<'a> {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: Text<'a>,
    pub(crate) class: Text<'a>,
    #[serde(deserialize_with = "reference_price")]
    pub(crate) price: Text<'a>,
}

/// The first pass over a line: only its `op`, every other value skipped unparsed. Deserializing
/// the right struct directly afterwards is several times faster than serde's internally tagged
/// enums, which buffer every field into an intermediate tree first.
#[derive(Debug, Deserialize)]
pub(crate) struct WireOp<'a> {
    #[serde(borrow)]
    pub(crate) op: std::borrow::Cow<'a, str>,
}

/// What can still be read from a line that failed to decode, to name it in the rejection.
#[derive(Debug, Deserialize)]
pub(crate) struct WireIdOnly {
    #[serde(default)]
    pub(crate) id: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use crate::stream::Decoder;
    use crate::RejectReason;

    /// A price written as a JSON number is refused naming the field and showing the string
    /// form, for every price field; a string still decodes, and `null` is still "absent".
    #[test]
    fn a_price_as_a_json_number_is_refused_naming_the_field() {
        let ask = r#"{"ts":0,"op":"ask","id":"a","owner":"0x1000000000000000000000000000000000000001","price":1.5,"qty":1,"tif":"gtc","hw":{"cpu":8,"mem":64,"gpu":null,"gpus":0,"gpu_mem":0,"tee":null,"region":"eu"},"from":0,"until":10}"#;
        let bid_peg = r#"{"ts":0,"op":"bid","id":"b","owner":"0x2000000000000000000000000000000000000001","peg":{"class":"c","offset":"0","limit":2},"qty":1,"tif":"gtc","req":{"cpu":1,"mem":1,"gpu":[],"gpus":0,"gpu_mem":0,"tee":null,"regions":[]},"duration":1,"not_before":0,"deadline":10}"#;
        let reference = r#"{"ts":0,"op":"reference","class":"c","price":3}"#;
        let cases = [
            (
                ask.to_string(),
                r#"price must be a decimal string such as "1.5", not the number 1.5"#,
            ),
            (
                bid_peg.to_string(),
                r#"peg.limit must be a decimal string such as "1.5", not the number 2"#,
            ),
            (
                reference.to_string(),
                r#"price must be a decimal string such as "1.5", not the number 3"#,
            ),
            (ask.replace("\"price\":1.5", "\"price\":-1"), "price must be a decimal string"),
        ];
        let mut decoder = Decoder::new();
        for (line, want) in cases {
            let error = decoder.decode(line.as_bytes()).expect_err("a number is refused");
            assert_eq!(error.reason, RejectReason::BadField, "{line}");
            assert!(error.detail.starts_with(want), "{} does not start with {want}", error.detail);
        }
        assert!(decoder.decode(ask.replace("1.5", "\"1.5\"").as_bytes()).is_ok());
        let null = decoder.decode(ask.replace("1.5", "null").as_bytes()).expect_err("no price");
        assert_eq!(null.reason, RejectReason::MissingField);
    }
}
