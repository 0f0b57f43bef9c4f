//! The card: board-independent core and its internal frame routing.

pub mod card_core;
pub mod frame_class;
pub mod rx_dispatch;
pub mod tx_router;

pub use card_core::{
    card_core_verilog, card_core_verilog_of, CardCore, CardCoreOf, NarrowCardCore,
};
