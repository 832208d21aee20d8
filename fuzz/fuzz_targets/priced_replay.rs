//! The priced replay of any stream keeps the rule "a rejected line changes nothing".
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gridbook_fuzz::priced_replay(data));
