//! Generator commands as a client sends them: owned by a simulated account
//! ([`super::keys::Accounts`]), ids made unique to the run, times moved onto the node's clock,
//! written as a command object without `ts` (the node stamps it) and signed by the owner's key
//! exactly as a wallet would sign it (EIP-712 over the command object, `GET /v1/eip712`).

use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use gridbook_matcher::stream::encode_command;
use gridbook_matcher::{Command, Symbols};
use serde_json::{Map, Value};

use super::keys::Accounts;
use crate::auth::{message_of, Domain};

/// Gives `command` to the account standing in for its generator owner and prefixes its id
/// (a cancel's too, so it still names its order); returns the account's index. `None` for the
/// node's own commands (`tick`, `reference`), which no client sends.
pub fn adopt(command: &mut Command, accounts: &mut Accounts, id_prefix: &str) -> Option<usize> {
    let (id, owner) = match command {
        Command::Ask(ask) => (&mut ask.id, &mut ask.owner),
        Command::Bid(bid) => (&mut bid.id, &mut bid.owner),
        Command::Cancel(cancel) => (&mut cancel.id, &mut cancel.owner),
        Command::Tick | Command::Reference { .. } => return None,
    };
    let account = accounts.index_of(*owner);
    *owner = accounts.owner(account);
    id.insert_str(0, id_prefix);
    Some(account)
}

/// Moves every time a command names (slot windows, deadlines, good-till-dates) `delta_ms`
/// later, so a command generated on the generator's clock makes sense on the node's.
pub fn shift_times(command: &mut Command, delta_ms: u64) {
    match command {
        Command::Ask(ask) => {
            ask.from_ms += delta_ms;
            ask.until_ms += delta_ms;
            ask.expires_ms = ask.expires_ms.map(|ms| ms + delta_ms);
        }
        Command::Bid(bid) => {
            bid.not_before_ms += delta_ms;
            bid.deadline_ms += delta_ms;
            bid.expires_ms = bid.expires_ms.map(|ms| ms + delta_ms);
        }
        Command::Cancel(_) | Command::Tick | Command::Reference { .. } => {}
    }
}

/// The wall clock, ms since the Unix epoch: what a node stamps commands with (unless its clock
/// stepped back), so what generated times are moved onto.
pub fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// The command object a client sends: the order-stream line without `ts`.
pub fn command_object(symbols: &Symbols, command: &Command) -> Map<String, Value> {
    let line = encode_command(symbols, 0, command);
    let body = line.strip_prefix("{\"ts\":0,").expect("an encoded command starts with its ts");
    match serde_json::from_str(&format!("{{{body}")) {
        Ok(Value::Object(object)) => object,
        _ => unreachable!("an encoded command is a JSON object"),
    }
}

/// Adds `"sig"`: `signer`'s EIP-712 signature of `object` under `domain`.
pub fn sign(object: &mut Map<String, Value>, signer: &PrivateKeySigner, domain: &Domain) {
    let message = message_of(object).expect("an encoded command is a valid typed message");
    let signature = signer
        .sign_hash_sync(&domain.signing_hash(&message))
        .expect("a local key signs any 32-byte hash");
    let sig = format!("0x{}", alloy_primitives::hex::encode(signature.as_bytes()));
    object.insert("sig".to_owned(), Value::String(sig));
}

/// `command` serialised as a command object, signed by `signer` under `domain` when given.
pub fn serialised(
    symbols: &Symbols,
    command: &Command,
    signing: Option<(&PrivateKeySigner, &Domain)>,
) -> String {
    let mut object = command_object(symbols, command);
    if let Some((signer, domain)) = signing {
        sign(&mut object, signer, domain);
    }
    serde_json::to_string(&object).expect("a JSON map serialises")
}

/// The body of `POST /v1/commands` for `objects` (each a serialised command object): the object
/// itself for one, an array for more.
pub fn request_body(objects: &[String]) -> String {
    match objects {
        [one] => one.clone(),
        many => format!("[{}]", many.join(",")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Domain;
    use alloy_primitives::Address;
    use gridbook_matcher::workload::{Workload, WorkloadConfig};

    fn commands(count: usize) -> (Workload, Vec<Command>) {
        let config = WorkloadConfig { resting: 20, orders: count - 20, ..Default::default() };
        let mut workload = Workload::new(config);
        let commands = workload.by_ref().map(|(_, command)| command).collect();
        (workload, commands)
    }

    #[test]
    fn an_adopted_and_signed_command_verifies_as_its_new_owner() {
        let (workload, commands) = commands(200);
        let domain = Domain::new(1337, Address::repeat_byte(0x5e));
        let mut accounts = Accounts::new(9);
        for mut command in commands {
            let account = adopt(&mut command, &mut accounts, "run1-").expect("an order");
            let mut object = command_object(workload.symbols(), &command);
            assert!(!object.contains_key("ts"));
            assert!(object["id"].as_str().is_some_and(|id| id.starts_with("run1-o")));
            sign(&mut object, accounts.signer(account), &domain);
            assert_eq!(domain.verify_command(&object), Ok(accounts.signer(account).address()));
        }
        assert_eq!(adopt(&mut Command::Tick, &mut accounts, ""), None);
        assert!(accounts.len() > 10, "the generator's pools map to many accounts");
    }

    #[test]
    fn shifting_moves_every_time_of_an_order() {
        let (_, commands) = commands(300);
        for command in commands {
            let mut shifted = command.clone();
            shift_times(&mut shifted, 1_000);
            match (&command, &shifted) {
                (Command::Ask(a), Command::Ask(b)) => {
                    assert_eq!((a.from_ms + 1_000, a.until_ms + 1_000), (b.from_ms, b.until_ms));
                    assert_eq!(a.expires_ms.map(|ms| ms + 1_000), b.expires_ms);
                }
                (Command::Bid(a), Command::Bid(b)) => {
                    assert_eq!(a.not_before_ms + 1_000, b.not_before_ms);
                    assert_eq!(a.deadline_ms + 1_000, b.deadline_ms);
                    assert_eq!(a.expires_ms.map(|ms| ms + 1_000), b.expires_ms);
                }
                (a, b) => assert_eq!(a, b),
            }
        }
    }

    #[test]
    fn one_command_is_sent_as_an_object_and_more_as_an_array() {
        let one = vec!["{\"a\":1}".to_owned()];
        assert_eq!(request_body(&one), "{\"a\":1}");
        let two = vec!["{\"a\":1}".to_owned(), "{\"b\":2}".to_owned()];
        assert_eq!(request_body(&two), "[{\"a\":1},{\"b\":2}]");
    }
}
