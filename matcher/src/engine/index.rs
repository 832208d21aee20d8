//! Typed indices into the engine's tables, so a configuration's number cannot be used as a
//! floating ladder's by mistake. Each is a `u32` (the tables are bounded far below 2^32) with
//! one reserved value, `NIL`, for "none".

use std::fmt;

macro_rules! index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct $name(pub(crate) u32);

        impl $name {
            /// No entry / the end of a list.
            pub(crate) const NIL: $name = $name(u32::MAX);

            /// The position in its table.
            pub(crate) fn at(self) -> usize {
                debug_assert!(self != $name::NIL, concat!("NIL ", stringify!($name), " used"));
                self.0 as usize
            }

            /// The index of position `at` of its table.
            pub(crate) fn of(at: usize) -> $name {
                debug_assert!(at < u32::MAX as usize, "tables are bounded below 2^32 entries");
                $name(at as u32)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if *self == $name::NIL {
                    write!(f, concat!(stringify!($name), "(NIL)"))
                } else {
                    write!(f, concat!(stringify!($name), "({})"), self.0)
                }
            }
        }
    };
}

index! {
    /// A machine configuration (asks) or requirement signature (bids): its place in
    /// `Groups::configs` or `Groups::signatures`. A reclaimed group's index is reused.
    GroupId
}

index! {
    /// A floating ladder: its place in `Floats::list`. A released one's index is reused.
    FloatId
}
