//! seqfab driver
