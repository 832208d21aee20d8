//! Whatever the decoder accepts round-trips through the encoder.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gridbook_fuzz::decode(data));
