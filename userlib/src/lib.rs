//! seqfab userlib
