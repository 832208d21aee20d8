//! The EIP-712 types of gridbook's signed messages, and their JSON form for `GET /v1/eip712`.
//!
//! The typed message **is the command object itself** (docs/api.md): primary type `Ask`, `Bid`
//! or `Cancel`, the same field names as docs/order-stream.md, JSON strings as `string`, integers
//! as `uint64`, `owner` as `address`, nested objects as structs, lists as `string[]`. `ts` (the
//! node stamps it) and `sig` are not part of it. The structs are declared once, with alloy's
//! `sol!`; the JSON served to wallets is derived from their `encodeType`, so the two cannot
//! drift apart.

use alloy_sol_types::{sol, SolStruct};
use serde_json::{json, Map, Value};

sol! {
    /// A machine, as in an ask's `hw`.
    #[derive(Debug, PartialEq, Eq)]
    struct Hardware {
        uint64 cpu;
        uint64 mem;
        string gpu;
        uint64 gpus;
        uint64 gpu_mem;
        string tee;
        string region;
    }

    /// A job's needs, as in a bid's `req`.
    #[derive(Debug, PartialEq, Eq)]
    struct Requirements {
        uint64 cpu;
        uint64 mem;
        string[] gpu;
        uint64 gpus;
        uint64 gpu_mem;
        string tee;
        string[] regions;
    }

    /// A peg to a class reference.
    #[derive(Debug, PartialEq, Eq)]
    struct Peg {
        string class;
        string offset;
        string limit;
    }

    /// An ask command.
    #[derive(Debug, PartialEq, Eq)]
    struct Ask {
        string op;
        string id;
        address owner;
        string price;
        Peg peg;
        uint64 qty;
        string tif;
        Hardware hw;
        uint64 from;
        uint64 until;
        uint64 expires;
    }

    /// A bid command.
    #[derive(Debug, PartialEq, Eq)]
    struct Bid {
        string op;
        string id;
        address owner;
        string limit;
        Peg peg;
        uint64 qty;
        string tif;
        Requirements req;
        uint64 duration;
        uint64 not_before;
        uint64 deadline;
        uint64 expires;
    }

    /// A cancel command.
    #[derive(Debug, PartialEq, Eq)]
    struct Cancel {
        string op;
        string id;
        address owner;
    }

    /// A session: commands on a WebSocket opened with its token need no signature of their own.
    #[derive(Debug, PartialEq, Eq)]
    struct Session {
        address owner;
        uint64 expires;
        string nonce;
    }
}

/// Each message a client signs: its key in `/v1/eip712` (the command's `op`, or `session`), its
/// primary type, and its `encodeType`.
fn signed_messages() -> [(&'static str, &'static str, std::borrow::Cow<'static, str>); 4] {
    [
        ("ask", "Ask", Ask::eip712_encode_type()),
        ("bid", "Bid", Bid::eip712_encode_type()),
        ("cancel", "Cancel", Cancel::eip712_encode_type()),
        ("session", "Session", Session::eip712_encode_type()),
    ]
}

/// The `messages` object of `/v1/eip712`: per message, its `primaryType` and the `types` of
/// `eth_signTypedData_v4` — `EIP712Domain`, the primary type and the structs it uses, nothing
/// else, since libraries such as eth-account derive the primary type from the types given.
pub fn messages_json() -> Value {
    let mut messages = Map::new();
    for (key, primary, encoded) in signed_messages() {
        let mut types = Map::new();
        types.insert("EIP712Domain".to_owned(), domain_type());
        for (name, fields) in parse_encode_type(&encoded) {
            types.insert(name, Value::Array(fields));
        }
        messages.insert(key.to_owned(), json!({"primaryType": primary, "types": types}));
    }
    Value::Object(messages)
}

fn domain_type() -> Value {
    json!([
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ])
}

/// Splits an EIP-712 `encodeType` string (`Ask(string op,Peg peg)Peg(string class)`) into
/// its structs and their fields. The input is produced by `sol!` from the declarations above,
/// so it is well formed by construction.
fn parse_encode_type(encoded: &str) -> Vec<(String, Vec<Value>)> {
    let mut structs = Vec::new();
    for part in encoded.split(')').filter(|part| !part.is_empty()) {
        let (name, fields) = part.split_once('(').expect("sol! encodeType has `Name(` per struct");
        let fields = fields
            .split(',')
            .filter(|field| !field.is_empty())
            .map(|field| {
                let (ty, name) =
                    field.split_once(' ').expect("sol! encodeType has `type name` per field");
                json!({"name": name, "type": ty})
            })
            .collect();
        structs.push((name.to_owned(), fields));
    }
    structs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_lists_its_own_types_in_field_order() {
        let messages = messages_json();
        let names = |message: &str, ty: &str| -> Vec<String> {
            messages[message]["types"][ty]
                .as_array()
                .expect("type listed")
                .iter()
                .map(|f| format!("{} {}", f["type"].as_str().unwrap(), f["name"].as_str().unwrap()))
                .collect()
        };
        assert_eq!(names("cancel", "Cancel"), ["string op", "string id", "address owner"]);
        assert_eq!(names("ask", "Peg"), ["string class", "string offset", "string limit"]);
        assert_eq!(
            names("bid", "Requirements"),
            [
                "uint64 cpu",
                "uint64 mem",
                "string[] gpu",
                "uint64 gpus",
                "uint64 gpu_mem",
                "string tee",
                "string[] regions"
            ]
        );
        assert_eq!(names("ask", "Ask")[7], "Hardware hw");
        assert_eq!(names("bid", "Bid")[7], "Requirements req");
        assert_eq!(
            names("session", "Session"),
            ["address owner", "uint64 expires", "string nonce"]
        );
        let type_names = |message: &str| -> Vec<String> {
            messages[message]["types"].as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(type_names("ask"), ["Ask", "EIP712Domain", "Hardware", "Peg"]);
        assert_eq!(type_names("bid"), ["Bid", "EIP712Domain", "Peg", "Requirements"]);
        assert_eq!(type_names("cancel"), ["Cancel", "EIP712Domain"]);
        assert_eq!(messages["bid"]["primaryType"], "Bid");
    }
}
