// Testbench (for Verilator) of RgmiiMac's generated Verilog (module `top`) with the
// behavioural ECP5 DDR models: the test in tests.rs writes `frames.mem` (64 bytes per
// frame, one hex byte per line), builds this with `verilator --binary --timing`, runs
// it, and reads back what it wrote:
//
//   tx_pins.txt  per TX clock: TXD, TX_CTL and TXC sampled at the rising and at the falling
//                edge of RXC, i.e. as a PHY with RGMII-ID timing samples them
//   rx_beats.txt every beat on bytes_out: data, last, error
//
// RXC is the TX clock 2 ns (90 degrees) later, and the TX pins are wired to the RX pins:
// a PHY in RGMII-ID loopback.
`timescale 1ns / 1ps

module tb;
    localparam int FRAMES = `FRAMES;
    localparam int BYTES = FRAMES * 64;

    logic clock = 1'b0;
    logic rxc = 1'b0;
    always #4 clock = ~clock;
    initial begin
        #2;
        forever #4 rxc = ~rxc;
    end

    logic [7:0] mem[BYTES];
    int sent = 0;
    wire in_valid = sent < BYTES;
    wire in_last = (sent % 64) == 63;
    wire [7:0] in_byte = in_valid ? mem[sent] : 8'h00;
    wire in_ready;
    wire txc;
    wire [3:0] txd;
    wire tx_ctl;
    wire [9:0] out_data;
    wire out_valid;
    wire tx_sent, tx_underrun, inband_link, phy_rst_n, phy_ready;
    wire [3:0] rx_events;

    top dut (
        .clock(clock),
        .bytes_in$data({1'b0, in_last, in_byte}),
        .bytes_in$valid(in_valid),
        .bytes_in$ready(in_ready),
        .tx_sent(tx_sent),
        .tx_underrun(tx_underrun),
        .txc(txc),
        .txd(txd),
        .tx_ctl(tx_ctl),
        .rxc(rxc),
        .rxd(txd),
        .rx_ctl(tx_ctl),
        .bytes_out$data(out_data),
        .bytes_out$valid(out_valid),
        .bytes_out$ready(1'b1),
        .rx_events(rx_events),
        .inband_link(inband_link),
        .phy_rst_n(phy_rst_n),
        .phy_ready(phy_ready),
        .phy_restart(1'b0)
    );

    // A byte moves at a rising edge where valid and ready (ready is a DUT register, so
    // this reads its value from before the edge).
    always @(posedge clock) begin
        if (in_valid && in_ready) sent <= sent + 1;
    end

    int tx_file, rx_file;
    logic [3:0] rise_txd;
    logic rise_ctl, rise_txc;
    always @(posedge rxc) begin
        rise_txd <= txd;
        rise_ctl <= tx_ctl;
        rise_txc <= txc;
        if (out_valid) $fwrite(rx_file, "%h %b %b\n", out_data[7:0], out_data[8], out_data[9]);
    end
    always @(negedge rxc) begin
        $fwrite(tx_file, "%h %b %b %h %b %b\n", rise_txd, rise_ctl, rise_txc, txd, tx_ctl, txc);
    end

    initial begin
        $readmemh("frames.mem", mem);
        tx_file = $fopen("tx_pins.txt", "w");
        rx_file = $fopen("rx_beats.txt", "w");
        wait (sent == BYTES);
        repeat (200) @(posedge clock);
        $fclose(tx_file);
        $fclose(rx_file);
        $finish;
    end
endmodule
