// SIMULATION AND LINT ONLY. Never pass this file to synthesis: Yosys' synth_ecp5 must
// see the real ECP5 primitives (techlibs/ecp5/cells_bb.v) so that they are placed in the
// I/O cells.
//
// Behavioural models of the ECP5 DDR I/O registers that seqfab's RGMII MAC instantiates
// (gateware/src/mac/{oddrx1f,iddrx1f}.rs), for Verilator, which has no Lattice library.
// They behave exactly as the rust-hdl simulation models in those files (same edges, same
// latency), so both simulators see the same RGMII pins. Port names and directions are
// the primitives' (Lattice FPGA Libraries Reference Guide); the GSR parameter is left
// out because the MAC does not set it. Latency against silicon is not claimed.

// ODDRX1F: D0/D1 taken at the rising edge of SCLK; Q = D0 while SCLK is high, D1 while
// it is low. RST (synchronous here) clears both.
module ODDRX1F (
    input  wire D0,
    input  wire D1,
    input  wire SCLK,
    input  wire RST,
    output wire Q
);
    reg held0 = 1'b0;
    reg held1 = 1'b0;
    always @(posedge SCLK) begin
        held0 <= RST ? 1'b0 : D0;
        held1 <= RST ? 1'b0 : D1;
    end
    assign Q = SCLK ? held0 : held1;
endmodule

// IDDRX1F: D sampled at the rising (rise) and falling (fall) edge of SCLK; at each rising
// edge Q0/Q1 take the pair (previous rising sample, falling sample after it). RST
// (synchronous here) clears the outputs.
module IDDRX1F (
    input  wire D,
    input  wire SCLK,
    input  wire RST,
    output reg  Q0 = 1'b0,
    output reg  Q1 = 1'b0
);
    reg rise = 1'b0;
    reg fall = 1'b0;
    always @(posedge SCLK) begin
        Q0 <= RST ? 1'b0 : rise;
        Q1 <= RST ? 1'b0 : fall;
        rise <= D;
    end
    always @(negedge SCLK) begin
        fall <= D;
    end
endmodule
