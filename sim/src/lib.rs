//! seqfab sim
