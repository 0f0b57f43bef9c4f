//! Generic blocks the card is built from, none of them specific to seqfab: the stream
//! interface, storage (FIFO, skid buffer), arbitration and bit plumbing that rust-hdl
//! cannot write lint-clean by itself. One widget per file, named after it; the block
//! folders (`host/`, `originator/`, `engine/`, `fabric/`, `card/`) hold only seqfab's
//! own logic.

pub mod arbiter3;
pub mod async_fifo;
pub mod crc32_byte;
pub mod fifo;
pub mod frame_arbiter3;
pub mod frame_pack;
pub mod lanes32;
pub mod round_robin;
pub mod skid_buffer;
pub mod stream;
pub mod stream_arbiter2;
pub mod zero_extend;

pub use arbiter3::Arbiter3;
pub use async_fifo::AsyncFifo;
pub use crc32_byte::Crc32Byte;
pub use fifo::Fifo;
pub use frame_arbiter3::FrameArbiter3;
pub use frame_pack::FramePack;
pub use lanes32::Lanes32;
pub use round_robin::RoundRobin;
pub use skid_buffer::SkidBuffer;
pub use stream::{StreamSink, StreamSource};
pub use stream_arbiter2::StreamArbiter2;
pub use zero_extend::ZeroExtend;
