//! seqfab userlib: the user-space request function (`Sequencer::next`, batches, a
//! pipelined submit/poll API, spin-then-sleep waiting) and its C ABI (DESIGN.md section 5).
//!
//! Not built yet: this crate holds the place the workspace layout of DESIGN.md gives it.
