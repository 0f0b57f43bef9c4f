//! The stand-in card core (see [`core::StandInCore`]): what the board flows build until
//! `seqfab_gateware::card::CardCore` exists. Swapping it out is one line in `lib.rs`.

pub mod core;
pub mod plane;

pub use self::core::StandInCore;
