# seqfab board constraints: AMD/Xilinx Alveo U250 Data Center Accelerator Card
# Part:   xcu250-figd2104-2L-e (Virtex UltraScale+)
# Top:    boards/src/alveo/u250.rs (AlveoU250Top), generated into target/boards/alveo-u250/top.v
# Build:  Vivado: constraints/alveo-u250/build.tcl (NOT verified here)
#         estimate: constraints/build alveo-u250 (Yosys synth_xilinx, no place and route)
#
# Pins from the Alveo U200/U250 user guide (UG1289); Corundum's AU250 design uses the same.
# Every top-level port of the generated top has a PACKAGE_PIN here, except the N legs of
# differential pairs, which Vivado places with their P leg (boards/tests/pin_check.rs checks it).

# --- Configuration -------------------------------------------------------------------------
set_property CFGBVS GND                             [current_design]
set_property CONFIG_VOLTAGE 1.8                     [current_design]
set_property BITSTREAM.GENERAL.COMPRESS true        [current_design]
set_property BITSTREAM.CONFIG.CONFIGRATE 63.8       [current_design]
set_property BITSTREAM.CONFIG.SPI_BUSWIDTH 4        [current_design]
set_property BITSTREAM.CONFIG.SPI_32BIT_ADDR YES    [current_design]
set_property BITSTREAM.CONFIG.UNUSEDPIN PULLUP      [current_design]

# --- Clocks ----------------------------------------------------------------------------------
# The card clock is the XDMA's axi_aclk (250 MHz for Gen3 x8 with a 256-bit AXI interface);
# the IP's own XDC creates it from the PCIe reference clock. The CMAC user clocks
# (322.265625 MHz) are created by the CMAC IP from the QSFP reference clocks.
# 300 MHz LVDS system clock (DDR4 channel 0 reference): divided to the CMAC init clock.
set_property -dict {PACKAGE_PIN AY37 IOSTANDARD LVDS} [get_ports clk_300_p]
set_property -dict {PACKAGE_PIN AY38 IOSTANDARD LVDS} [get_ports clk_300_n]
create_clock -period 3.333 -name clk_300 [get_ports clk_300_p]
# PCIe reference clock, 100 MHz from the slot (MGTREFCLK0 of quad 226).
set_property PACKAGE_PIN AM11 [get_ports pcie_refclk_p]
create_clock -period 10.000 -name pcie_refclk [get_ports pcie_refclk_p]
# QSFP28 reference clocks, 161.1328125 MHz with qsfpN_fs = 0b10 (MGTREFCLK1 of quads 231/230).
set_property PACKAGE_PIN K11 [get_ports qsfp0_refclk_p]
create_clock -period 6.206 -name qsfp0_refclk [get_ports qsfp0_refclk_p]
set_property PACKAGE_PIN P11 [get_ports qsfp1_refclk_p]
create_clock -period 6.206 -name qsfp1_refclk [get_ports qsfp1_refclk_p]
# The card, CMAC and init clocks are unrelated; the only crossings are the MAC bridges'
# asynchronous FIFOs (rust-hdl's, whose pointers cross by a request/acknowledge handshake
# of registered vectors) and the two-flop link-status synchronisers.
set_clock_groups -asynchronous \
    -group [get_clocks -of_objects [get_pins -hier -filter {NAME =~ pcie/xdma_i/axi_aclk}]] \
    -group [get_clocks -of_objects [get_pins -hier -filter {NAME =~ mac_x/cmac_i/gt_txusrclk2}]] \
    -group [get_clocks -of_objects [get_pins -hier -filter {NAME =~ mac_y/cmac_i/gt_txusrclk2}]] \
    -group [get_clocks clk_300]

# --- PCIe x8 (lanes 0-7 on GTY quads 227 and 226), PERST# ----------------------------------
set_property PACKAGE_PIN AF2  [get_ports {pcie_rx_p[0]}]
set_property PACKAGE_PIN AF7  [get_ports {pcie_tx_p[0]}]
set_property PACKAGE_PIN AG4  [get_ports {pcie_rx_p[1]}]
set_property PACKAGE_PIN AG9  [get_ports {pcie_tx_p[1]}]
set_property PACKAGE_PIN AH2  [get_ports {pcie_rx_p[2]}]
set_property PACKAGE_PIN AH7  [get_ports {pcie_tx_p[2]}]
set_property PACKAGE_PIN AJ4  [get_ports {pcie_rx_p[3]}]
set_property PACKAGE_PIN AJ9  [get_ports {pcie_tx_p[3]}]
set_property PACKAGE_PIN AK2  [get_ports {pcie_rx_p[4]}]
set_property PACKAGE_PIN AK7  [get_ports {pcie_tx_p[4]}]
set_property PACKAGE_PIN AL4  [get_ports {pcie_rx_p[5]}]
set_property PACKAGE_PIN AL9  [get_ports {pcie_tx_p[5]}]
set_property PACKAGE_PIN AM2  [get_ports {pcie_rx_p[6]}]
set_property PACKAGE_PIN AM7  [get_ports {pcie_tx_p[6]}]
set_property PACKAGE_PIN AN4  [get_ports {pcie_rx_p[7]}]
set_property PACKAGE_PIN AN9  [get_ports {pcie_tx_p[7]}]
set_property -dict {PACKAGE_PIN BD21 IOSTANDARD LVCMOS12 PULLUP true} [get_ports pcie_perst_n]
set_false_path -from [get_ports pcie_perst_n]

# --- QSFP28 cage 0: fabric plane X (CMAC on GTY quad 231) ---------------------------------
set_property PACKAGE_PIN N4   [get_ports {qsfp0_rx_p[0]}]
set_property PACKAGE_PIN N9   [get_ports {qsfp0_tx_p[0]}]
set_property PACKAGE_PIN M2   [get_ports {qsfp0_rx_p[1]}]
set_property PACKAGE_PIN M7   [get_ports {qsfp0_tx_p[1]}]
set_property PACKAGE_PIN L4   [get_ports {qsfp0_rx_p[2]}]
set_property PACKAGE_PIN L9   [get_ports {qsfp0_tx_p[2]}]
set_property PACKAGE_PIN K2   [get_ports {qsfp0_rx_p[3]}]
set_property PACKAGE_PIN K7   [get_ports {qsfp0_tx_p[3]}]
set_property -dict {PACKAGE_PIN BE16 IOSTANDARD LVCMOS12} [get_ports {qsfp0_modsell}]
set_property -dict {PACKAGE_PIN BE17 IOSTANDARD LVCMOS12} [get_ports {qsfp0_resetl}]
set_property -dict {PACKAGE_PIN BD18 IOSTANDARD LVCMOS12} [get_ports {qsfp0_lpmode}]
set_property -dict {PACKAGE_PIN AT22 IOSTANDARD LVCMOS12} [get_ports {qsfp0_refclk_reset}]
set_property -dict {PACKAGE_PIN AT20 IOSTANDARD LVCMOS12} [get_ports {qsfp0_fs[0]}]
set_property -dict {PACKAGE_PIN AU22 IOSTANDARD LVCMOS12} [get_ports {qsfp0_fs[1]}]
set_false_path -to [get_ports {qsfp0_modsell qsfp0_resetl qsfp0_lpmode qsfp0_refclk_reset qsfp0_fs[*]}]

# --- QSFP28 cage 1: fabric plane Y (CMAC on GTY quad 230) ---------------------------------
set_property PACKAGE_PIN U4   [get_ports {qsfp1_rx_p[0]}]
set_property PACKAGE_PIN U9   [get_ports {qsfp1_tx_p[0]}]
set_property PACKAGE_PIN T2   [get_ports {qsfp1_rx_p[1]}]
set_property PACKAGE_PIN T7   [get_ports {qsfp1_tx_p[1]}]
set_property PACKAGE_PIN R4   [get_ports {qsfp1_rx_p[2]}]
set_property PACKAGE_PIN R9   [get_ports {qsfp1_tx_p[2]}]
set_property PACKAGE_PIN P2   [get_ports {qsfp1_rx_p[3]}]
set_property PACKAGE_PIN P7   [get_ports {qsfp1_tx_p[3]}]
set_property -dict {PACKAGE_PIN AY20 IOSTANDARD LVCMOS12} [get_ports {qsfp1_modsell}]
set_property -dict {PACKAGE_PIN BC18 IOSTANDARD LVCMOS12} [get_ports {qsfp1_resetl}]
set_property -dict {PACKAGE_PIN AV22 IOSTANDARD LVCMOS12} [get_ports {qsfp1_lpmode}]
set_property -dict {PACKAGE_PIN AR21 IOSTANDARD LVCMOS12} [get_ports {qsfp1_refclk_reset}]
set_property -dict {PACKAGE_PIN AR22 IOSTANDARD LVCMOS12} [get_ports {qsfp1_fs[0]}]
set_property -dict {PACKAGE_PIN AU20 IOSTANDARD LVCMOS12} [get_ports {qsfp1_fs[1]}]
set_false_path -to [get_ports {qsfp1_modsell qsfp1_resetl qsfp1_lpmode qsfp1_refclk_reset qsfp1_fs[*]}]

# --- LEDs: 0 PCIe link up, 1 plane X link up, 2 plane Y link up --------------------------------
set_property -dict {PACKAGE_PIN BC21 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[0]}]
set_property -dict {PACKAGE_PIN BB21 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[1]}]
set_property -dict {PACKAGE_PIN BA20 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[2]}]
set_false_path -to [get_ports {led[*]}]
