//! Signed commands: the owner's EIP-712 signature over the command object is accepted; a wrong
//! signer, a tampered field, another chain or deployment, a non-owner's cancel, a malleable or
//! missing signature are refused.

use alloy_primitives::{Address, B256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use gridbook_node::auth::{message_of, AuthError, Domain};
use serde_json::{json, Map, Value};

fn signer(byte: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).expect("test setup")
}

fn domain() -> Domain {
    Domain::new(1337, Address::repeat_byte(0x5e))
}

fn bid(owner: Address) -> Map<String, Value> {
    json!({"op":"bid","id":"b-train","owner":owner.to_string(),"limit":"2.00","qty":4,"tif":"gtc",
        "req":{"cpu":8,"mem":32,"gpu":["A100-80GB","H100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":[]},
        "duration":14400000,"not_before":0,"deadline":1767268800000u64})
    .as_object()
    .expect("test setup")
    .clone()
}

/// Signs `command` as `key` under `domain`, the way any client would.
fn sign(
    mut command: Map<String, Value>,
    key: &PrivateKeySigner,
    domain: &Domain,
) -> Map<String, Value> {
    let hash = domain.signing_hash(&message_of(&command).expect("test setup"));
    let signature = key.sign_hash_sync(&hash).expect("test setup");
    command.insert("sig".into(), Value::String(format!("0x{}", hex(&signature.as_bytes()))));
    command
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_owners_signature_is_accepted() {
    let key = signer(1);
    let signed = sign(bid(key.address()), &key, &domain());
    assert_eq!(domain().verify_command(&signed), Ok(key.address()));
}

#[test]
fn another_signer_is_refused_naming_both_accounts() {
    let (owner, thief) = (signer(1), signer(2));
    let signed = sign(bid(owner.address()), &thief, &domain());
    let error = domain().verify_command(&signed).unwrap_err();
    assert_eq!(
        error,
        AuthError::WrongSigner { owner: owner.address(), recovered: thief.address() }
    );
    assert_eq!(error.code(), "bad_signature");
}

#[test]
fn a_tampered_field_is_refused() {
    let key = signer(1);
    for (field, value) in [("limit", json!("2.01")), ("qty", json!(5)), ("id", json!("b-other"))] {
        let mut signed = sign(bid(key.address()), &key, &domain());
        signed.insert(field.into(), value);
        assert!(
            matches!(domain().verify_command(&signed), Err(AuthError::WrongSigner { .. })),
            "{field}"
        );
    }
    let mut signed = sign(bid(key.address()), &key, &domain());
    signed["req"]["regions"] = json!(["eu-west"]);
    assert!(matches!(domain().verify_command(&signed), Err(AuthError::WrongSigner { .. })));
}

#[test]
fn a_signature_for_another_chain_or_deployment_is_refused() {
    let key = signer(1);
    for other in
        [Domain::new(1, Address::repeat_byte(0x5e)), Domain::new(1337, Address::repeat_byte(0x5f))]
    {
        let signed = sign(bid(key.address()), &key, &other);
        assert!(matches!(domain().verify_command(&signed), Err(AuthError::WrongSigner { .. })));
    }
}

#[test]
fn a_cancel_signed_by_a_non_owner_is_refused() {
    let (owner, other) = (signer(1), signer(3));
    let cancel = json!({"op":"cancel","id":"b-train","owner":owner.address().to_string()});
    let signed = sign(cancel.as_object().unwrap().clone(), &other, &domain());
    assert!(matches!(domain().verify_command(&signed), Err(AuthError::WrongSigner { .. })));
    let signed = sign(cancel.as_object().unwrap().clone(), &owner, &domain());
    assert_eq!(domain().verify_command(&signed), Ok(owner.address()));
}

#[test]
fn missing_malformed_and_malleable_signatures_are_refused() {
    let key = signer(1);
    assert_eq!(domain().verify_command(&bid(key.address())), Err(AuthError::MissingSignature));
    for bad in [json!("0x1234"), json!(12), json!(format!("0x{}", "zz".repeat(65)))] {
        let mut command = bid(key.address());
        command.insert("sig".into(), bad.clone());
        let error = domain().verify_command(&command).unwrap_err();
        assert!(matches!(error, AuthError::MalformedSignature(_)), "{bad}: {error}");
    }
    // The mirror image (n - s, flipped parity) recovers the same account: EIP-2 refuses it.
    let signed = sign(bid(key.address()), &key, &domain());
    let sig = signed["sig"].as_str().unwrap();
    let bytes: Vec<u8> =
        (2..132).step_by(2).map(|i| u8::from_str_radix(&sig[i..i + 2], 16).unwrap()).collect();
    let parsed = alloy_primitives::Signature::from_raw(&bytes).unwrap();
    let order = alloy_primitives::U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let mirror = alloy_primitives::Signature::new(parsed.r(), order - parsed.s(), !parsed.v());
    let mut malleated = signed.clone();
    malleated.insert("sig".into(), Value::String(format!("0x{}", hex(&mirror.as_bytes()))));
    let error = domain().verify_command(&malleated).unwrap_err();
    assert!(error.to_string().contains("EIP-2"), "{error}");
}

#[test]
fn the_served_domain_names_the_deployment() {
    let described = domain().describe();
    assert_eq!(described["domain"]["name"], "gridbook");
    assert_eq!(described["domain"]["version"], "1");
    assert_eq!(described["domain"]["chainId"], 1337);
    assert_eq!(described["messages"]["bid"]["primaryType"], "Bid");
    assert_eq!(
        described["messages"]["bid"]["types"]["Bid"][0],
        json!({"name":"op","type":"string"})
    );
}
