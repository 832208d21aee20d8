//! Shared set-up for gridbook benchmarks.
