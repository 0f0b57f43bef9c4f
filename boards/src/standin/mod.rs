//! The stand-in card core (see [`core::StandInCore`]): the card core's ports around a few
//! hundred LUTs of the same kinds of logic, for exercising the board flows in minutes
//! instead of half an hour. Building it instead of `seqfab_gateware::card::CardCore` is
//! one line in `lib.rs` (`Core`).

pub mod core;
pub mod plane;

pub use self::core::StandInCore;
