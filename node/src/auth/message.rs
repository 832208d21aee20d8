//! A command object (JSON, as a client sent it) read into its EIP-712 struct.
//!
//! A field that is `null` or absent takes its type's zero value (`""`, `0`, a struct of zeros,
//! an empty list), so one type covers an ask with a `price` and one with a `peg`. A field of the
//! wrong JSON type is an error naming it: the signature would otherwise be checked against a
//! message the client never meant. Whether the command is *valid* is the decoder's question,
//! asked later; this only decides what was signed.

use alloy_primitives::Address;
use serde_json::{Map, Value};

use super::types::{Ask, Bid, Cancel, Hardware, Peg, Requirements, Session};
use super::AuthError;

/// A command's typed message, by primary type.
#[derive(Debug, PartialEq, Eq)]
pub enum SignedMessage {
    /// `"op":"ask"`.
    Ask(Ask),
    /// `"op":"bid"`.
    Bid(Bid),
    /// `"op":"cancel"`.
    Cancel(Cancel),
}

impl SignedMessage {
    /// The account that must have signed it.
    pub fn owner(&self) -> Address {
        match self {
            SignedMessage::Ask(ask) => ask.owner,
            SignedMessage::Bid(bid) => bid.owner,
            SignedMessage::Cancel(cancel) => cancel.owner,
        }
    }
}

/// The typed message of a command object. `op` must be `ask`, `bid` or `cancel`: other
/// commands (`tick`, `reference`) are the node's own and are never accepted from a client.
pub fn message_of(command: &Map<String, Value>) -> Result<SignedMessage, AuthError> {
    let fields = Fields { object: command, path: "" };
    let op = fields.string("op")?;
    match op.as_str() {
        "ask" => Ok(SignedMessage::Ask(Ask {
            op,
            id: fields.string("id")?,
            owner: fields.address("owner")?,
            price: fields.string("price")?,
            peg: peg(&fields.nested("peg")?)?,
            qty: fields.uint("qty")?,
            tif: fields.string("tif")?,
            hw: hardware(&fields.nested("hw")?)?,
            from: fields.uint("from")?,
            until: fields.uint("until")?,
            expires: fields.uint("expires")?,
        })),
        "bid" => Ok(SignedMessage::Bid(Bid {
            op,
            id: fields.string("id")?,
            owner: fields.address("owner")?,
            limit: fields.string("limit")?,
            peg: peg(&fields.nested("peg")?)?,
            qty: fields.uint("qty")?,
            tif: fields.string("tif")?,
            req: requirements(&fields.nested("req")?)?,
            duration: fields.uint("duration")?,
            not_before: fields.uint("not_before")?,
            deadline: fields.uint("deadline")?,
            expires: fields.uint("expires")?,
        })),
        "cancel" => Ok(SignedMessage::Cancel(Cancel {
            op,
            id: fields.string("id")?,
            owner: fields.address("owner")?,
        })),
        other => Err(AuthError::Field {
            field: "op".to_owned(),
            detail: format!("`{other}` cannot be sent by a client (ask, bid or cancel)"),
        }),
    }
}

/// A session request's typed message (`{"owner":…,"expires":…,"nonce":…}`).
pub fn session_of(object: &Map<String, Value>) -> Result<Session, AuthError> {
    let fields = Fields { object, path: "" };
    Ok(Session {
        owner: fields.address("owner")?,
        expires: fields.uint("expires")?,
        nonce: fields.string("nonce")?,
    })
}

fn peg(fields: &Fields<'_>) -> Result<Peg, AuthError> {
    Ok(Peg {
        class: fields.string("class")?,
        offset: fields.string("offset")?,
        limit: fields.string("limit")?,
    })
}

fn hardware(fields: &Fields<'_>) -> Result<Hardware, AuthError> {
    Ok(Hardware {
        cpu: fields.uint("cpu")?,
        mem: fields.uint("mem")?,
        gpu: fields.string("gpu")?,
        gpus: fields.uint("gpus")?,
        gpu_mem: fields.uint("gpu_mem")?,
        tee: fields.string("tee")?,
        region: fields.string("region")?,
    })
}

fn requirements(fields: &Fields<'_>) -> Result<Requirements, AuthError> {
    Ok(Requirements {
        cpu: fields.uint("cpu")?,
        mem: fields.uint("mem")?,
        gpu: fields.strings("gpu")?,
        gpus: fields.uint("gpus")?,
        gpu_mem: fields.uint("gpu_mem")?,
        tee: fields.string("tee")?,
        regions: fields.strings("regions")?,
    })
}

/// One JSON object's fields, with the dotted path of the object for error messages.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    path: &'a str,
}

/// An empty object: what an absent or `null` nested struct reads as.
static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Fields<'a> {
    fn present(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|value| !value.is_null())
    }

    fn error(&self, name: &str, detail: &str) -> AuthError {
        let field =
            if self.path.is_empty() { name.to_owned() } else { format!("{}.{name}", self.path) };
        AuthError::Field { field, detail: detail.to_owned() }
    }

    fn string(&self, name: &str) -> Result<String, AuthError> {
        match self.present(name) {
            None => Ok(String::new()),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(_) => Err(self.error(name, "must be a string")),
        }
    }

    fn uint(&self, name: &str) -> Result<u64, AuthError> {
        match self.present(name) {
            None => Ok(0),
            Some(value) => value
                .as_u64()
                .ok_or_else(|| self.error(name, "must be an integer from 0 to 2^64-1")),
        }
    }

    fn address(&self, name: &str) -> Result<Address, AuthError> {
        match self.present(name) {
            None => Ok(Address::ZERO),
            Some(Value::String(text)) => text
                .parse()
                .map_err(|_| self.error(name, "must be a 0x-prefixed 20-byte hex address")),
            Some(_) => Err(self.error(name, "must be a string")),
        }
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, AuthError> {
        match self.present(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    _ => Err(self.error(name, "must be a list of strings")),
                })
                .collect(),
            Some(_) => Err(self.error(name, "must be a list of strings")),
        }
    }

    fn nested(&self, name: &'a str) -> Result<Fields<'a>, AuthError> {
        let object = match self.present(name) {
            None => &*EMPTY,
            Some(Value::Object(object)) => object,
            Some(_) => return Err(self.error(name, "must be an object")),
        };
        // Nesting is one level deep in every message, so the path is the field's own name.
        Ok(Fields { object, path: name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().expect("an object").clone()
    }

    #[test]
    fn absent_and_null_fields_take_zero_values() {
        let bid = object(
            json!({"op":"bid","id":"b1","owner":"0x2000000000000000000000000000000000000001",
            "limit":"2.00","qty":4,"tif":"gtc","req":{"cpu":8,"mem":32,"gpu":["A100-80GB"],"gpus":1,
            "gpu_mem":80,"tee":null,"regions":[]},"duration":3600000,"not_before":0,"deadline":99}),
        );
        let SignedMessage::Bid(bid) = message_of(&bid).unwrap() else { panic!("a bid") };
        assert_eq!(
            bid.peg,
            Peg { class: String::new(), offset: String::new(), limit: String::new() }
        );
        assert_eq!(bid.expires, 0);
        assert_eq!(bid.req.tee, "");
        assert_eq!(bid.req.gpu, ["A100-80GB"]);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        let ask = object(
            json!({"op":"ask","id":"a","owner":"0x2000000000000000000000000000000000000001",
            "price":"1.5","qty":"4","hw":{}}),
        );
        let error = message_of(&ask).unwrap_err();
        assert_eq!(error.to_string(), "field `qty`: must be an integer from 0 to 2^64-1");
        let ask = object(json!({"op":"ask","hw":{"gpus":-1}}));
        assert_eq!(
            message_of(&ask).unwrap_err().to_string(),
            "field `hw.gpus`: must be an integer from 0 to 2^64-1"
        );
    }

    #[test]
    fn node_commands_cannot_be_signed_by_clients() {
        for op in ["tick", "reference", "escrow"] {
            let error = message_of(&object(json!({ "op": op }))).unwrap_err();
            assert!(error.to_string().starts_with("field `op`"), "{error}");
        }
    }
}
