//! seqfab driver: opens a card and gives out its BAR0 and DMA memory behind one trait,
//! with a VFIO backend and a simulation backend (DESIGN.md section 5).
//!
//! Not built yet: this crate holds the place the workspace layout of DESIGN.md gives it.
//! The register map, ring and doorbell it will use are already defined, once, in
//! `seqfab-contract`.
