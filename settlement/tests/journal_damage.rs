//! A damaged, emptied or foreign journal never pays a deal twice. Forty deals are settled in
//! five batches, every requester's escrow is topped up again (so a second payment would go
//! through), the journal is damaged, and settling the same deals again must stop with a clear
//! error before anything is sent: a chain ahead of the journal is refused, and a record that
//! does not read back is corruption named by file, line and byte offset — never a torn tail.

mod batcher_support;

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, U256};
use batcher_support::*;
use gridbook_settlement::audit::{read_balances, settled_batches};
use gridbook_settlement::batcher::SettleError;
use gridbook_settlement::deals::DealRecord;
use gridbook_settlement::devnet::Devnet;
use gridbook_settlement::journal::{read_state, JournalError};
use gridbook_settlement::{Chain, Deployment, SettlementDeal};

/// A market settled in five batches of eight, escrow topped up again afterwards.
struct Settled {
    devnet: Devnet,
    deployment: Deployment,
    deals: Vec<DealRecord>,
    journal: PathBuf,
    /// Every provider's credit after the one settlement.
    credits: Vec<(Address, U256)>,
    /// The batches of that settlement, read before the journal is damaged.
    batches: Vec<(u64, Vec<SettlementDeal>)>,
}

fn settled(name: &str) -> Settled {
    let (mut devnet, deployment) = setup(0);
    let deals = deals(40);
    fund_all(&mut devnet, &deployment, &deals);
    let journal = journal_path(name);
    settle(&mut devnet, &deployment, &journal, 8, &deals).expect("devnet test step");
    assert_eq!(devnet.last_batch_id(&deployment).expect("devnet test step"), 5);
    fund_all(&mut devnet, &deployment, &deals);
    let balances = chain_balances(&mut devnet, &deployment, &journal, (0..16).map(provider));
    let credits = balances.into_iter().map(|(account, b)| (account, b.credit)).collect();
    let batches = settled_batches(&read_state(&journal).expect("journal reads"));
    Settled { devnet, deployment, deals, journal, credits, batches }
}

impl Settled {
    /// Settles the same deals again with the (damaged) journal: must fail, and pay nothing.
    fn settle_again(&mut self) -> SettleError {
        let error = settle(&mut self.devnet, &self.deployment, &self.journal, 8, &self.deals)
            .expect_err("a damaged journal must not settle");
        assert_eq!(self.devnet.last_batch_id(&self.deployment).expect("lastBatchId"), 5);
        // Read back against the batches of the one settlement: a batch more on chain, or
        // another root, would fail here.
        let accounts = self.credits.iter().map(|(account, _)| *account);
        let now = read_balances(&mut self.devnet, &self.deployment, &self.batches, accounts)
            .expect("the chain still has exactly the one settlement");
        for (account, credit) in &self.credits {
            assert_eq!(now[account].credit, *credit, "provider {account} paid again");
        }
        error
    }

    fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.journal).expect("journal")
    }

    fn write(&self, bytes: &[u8]) {
        std::fs::write(&self.journal, bytes).expect("write journal");
    }

    /// Byte offsets at which each line (record) starts.
    fn line_starts(&self) -> Vec<usize> {
        let bytes = self.bytes();
        let mut starts = vec![0];
        starts.extend(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1));
        starts.pop();
        starts
    }

    /// The journal cut right after the `batch` record of batch `batch_id` (its `sent` and
    /// `confirmed` records gone, as if the run had stopped right after journaling it).
    fn ending_with_batch_record(&self, batch_id: u64) -> Vec<u8> {
        let bytes = self.bytes();
        let text = String::from_utf8(bytes.clone()).expect("utf-8 journal");
        let marker = format!("{{\"batch\":{{\"batch_id\":{batch_id},");
        let at = text.find(&marker).expect("the batch record");
        let end = at + text[at..].find('\n').expect("terminated") + 1;
        bytes[..end].to_vec()
    }
}

fn assert_chain_ahead(error: SettleError, journal: &Path, journal_last_batch_id: u64) {
    match &error {
        SettleError::ChainAhead { path, last_batch_id: 5, journal_last_batch_id: known }
            if path == journal && *known == journal_last_batch_id => {}
        other => panic!("expected ChainAhead knowing {journal_last_batch_id}, got {other}"),
    }
    let message = error.to_string();
    assert!(message.contains("lastBatchId is 5") && message.contains("pay"), "{message}");
}

fn assert_corrupt(error: SettleError, journal: &Path, line: u64, offset: u64, says: &str) {
    let message = error.to_string();
    match error {
        SettleError::Journal(JournalError::Corrupt { path, line: l, offset: o, detail })
            if path == journal && (l, o) == (line, offset) =>
        {
            assert!(detail.contains(says), "{detail}");
        }
        other => panic!("expected corruption at line {line}, offset {offset}, got {other}"),
    }
    assert!(message.contains(&format!("byte offset {offset}")), "{message}");
}

#[test]
fn a_journal_truncated_at_a_record_boundary_is_refused_when_the_chain_is_ahead() {
    let mut market = settled("cut-at-boundary");
    let starts = market.line_starts();
    // `opened`, then batch 1 and 2 with their `sent` and `confirmed`: the rest is gone.
    market.write(&market.bytes()[..starts[7]]);
    let error = market.settle_again();
    assert_chain_ahead(error, &market.journal, 2);
}

#[test]
fn a_journal_truncated_inside_a_record_is_refused_when_the_chain_is_ahead() {
    let mut market = settled("cut-inside");
    let starts = market.line_starts();
    let middle_of_batch_3 = starts[7] + (starts[8] - starts[7]) / 2;
    market.write(&market.bytes()[..middle_of_batch_3]);
    let error = market.settle_again();
    assert_chain_ahead(error, &market.journal, 2);
}

#[test]
fn an_empty_or_missing_journal_is_refused_when_the_chain_has_settled_batches() {
    let mut market = settled("emptied");
    market.write(b"");
    let error = market.settle_again();
    assert_chain_ahead(error, &market.journal, 0);
    assert!(market.bytes().is_empty(), "nothing is written to a refused journal");
    std::fs::remove_file(&market.journal).expect("remove journal");
    let error = market.settle_again();
    assert_chain_ahead(error, &market.journal, 0);
}

#[test]
fn a_flipped_byte_in_the_last_batch_record_is_corruption_not_a_torn_tail() {
    let mut market = settled("flipped");
    let mut bytes = market.ending_with_batch_record(5);
    let last_start = bytes[..bytes.len() - 1].iter().rposition(|b| *b == b'\n').expect("lines") + 1;
    let line = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    let flip_at = last_start + 40;
    bytes[flip_at] ^= 0x01;
    market.write(&bytes);
    let error = market.settle_again();
    assert_corrupt(error, &market.journal, line, last_start as u64, "checksum");
}

#[test]
fn a_damaged_terminator_of_the_last_record_is_corruption_not_a_torn_tail() {
    let mut market = settled("terminator");
    let mut bytes = market.ending_with_batch_record(5);
    let line = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    let last = bytes.len() - 1;
    bytes[last] = b'#';
    market.write(&bytes);
    let error = market.settle_again();
    assert_corrupt(error, &market.journal, line, last as u64, "terminator");
}

#[test]
fn a_byte_that_is_not_utf8_is_reported_with_its_offset() {
    let mut market = settled("not-utf8");
    let mut bytes = market.bytes();
    let starts = market.line_starts();
    let bad_at = starts[3] + 30;
    bytes[bad_at] = 0xff;
    market.write(&bytes);
    let error = market.settle_again();
    assert_corrupt(error, &market.journal, 4, bad_at as u64, "0xff is not UTF-8");
}
