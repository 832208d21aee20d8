//! Interoperability: commands signed by eth-account (Python), an Ethereum library this project
//! did not write, from nothing but the domain and types the node serves at `/v1/eip712`, are
//! accepted; the same signature on a changed command is not.
//!
//! Python comes from `$GRIDBOOK_PYTHON` or `.tools/venv` (support/eth_account.rs).

#[path = "support/eth_account.rs"]
mod eth_account;

use alloy_primitives::Address;
use eth_account::sign_with_eth_account;
use gridbook_node::auth::{AuthError, Domain};
use serde_json::{json, Value};

/// The account of private key 0x…01, as every Ethereum library derives it.
const OWNER: &str = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf";
const KEY: &str = "0x0000000000000000000000000000000000000000000000000000000000000001";

fn commands() -> Vec<Value> {
    vec![
        json!({"op":"ask","id":"a-h100","owner":OWNER,"price":"2.80","qty":4,"tif":"gtc",
            "hw":{"cpu":32,"mem":256,"gpu":"H100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"},
            "from":1767225600000u64,"until":1767268800000u64}),
        json!({"op":"ask","id":"a-peg","owner":OWNER,"peg":{"class":"gpu.a100-80gb","offset":"-0.05","limit":"1.20"},
            "qty":2,"tif":"gtc","hw":{"cpu":8,"mem":64,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":"sgx","region":"us-east"},
            "from":1767225600000u64,"until":1767268800000u64,"expires":1767240000000u64}),
        json!({"op":"bid","id":"b-train","owner":OWNER,"limit":"2.00","qty":4,"tif":"ioc",
            "req":{"cpu":8,"mem":32,"gpu":["A100-80GB","H100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":["eu-west","us-east"]},
            "duration":14400000,"not_before":0,"deadline":1767268800000u64}),
        json!({"op":"cancel","id":"a-h100","owner":OWNER}),
    ]
}

#[test]
fn commands_signed_by_eth_account_from_the_served_types_are_accepted() {
    let domain = Domain::new(1337, "0x5FbDB2315678afecb367f032d93F642f64180aa3".parse().unwrap());
    let commands = commands();
    let signatures = sign_with_eth_account(&domain.describe(), KEY, &commands);
    assert_eq!(signatures.len(), commands.len());
    let owner: Address = OWNER.parse().unwrap();
    for (command, sig) in commands.iter().zip(&signatures) {
        let mut signed = command.as_object().unwrap().clone();
        signed.insert("sig".into(), Value::String(sig.clone()));
        assert_eq!(domain.verify_command(&signed), Ok(owner), "{command}");
        // The same signature on a changed command recovers someone else.
        signed.insert("id".into(), json!("changed"));
        assert!(matches!(domain.verify_command(&signed), Err(AuthError::WrongSigner { .. })));
    }
}
