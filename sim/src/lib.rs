//! seqfab simulation: Verilator models of the card core, the cluster simulation and the `seqfab-sim` command.
