//! Helpers shared by the pricing crate's integration tests.
#![allow(dead_code)]

pub(crate) mod model_inputs;
