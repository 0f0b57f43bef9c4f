# seqfab: Vivado build of the Alveo U250 card (xcu250-figd2104-2L-e).
#
# NOT VERIFIED HERE: this project's machines have no Vivado. Written against the product
# guides of the IP it generates (PG195 DMA/Bridge Subsystem for PCIe, PG203 UltraScale+
# 100G Ethernet) and UG1289 (Alveo U200/U250); expect to adjust IP port names and
# configuration keys on the first real run. What IS checked here: the top's Verilog is
# generated and synthesised by Yosys for a utilisation estimate, and every top-level port
# has a pin in au250.xdc (constraints/build alveo-u250; boards/tests/pin_check.rs).
#
# Usage, from the repository root, after `constraints/build alveo-u250` wrote the top:
#   vivado -mode batch -source constraints/alveo-u250/build.tcl
# Outputs in target/boards/alveo-u250/vivado/: top.bit, timing and utilisation reports.

set root    [file normalize [file join [file dirname [info script]] .. ..]]
set board   [file join $root constraints alveo-u250]
set gen     [file join $root target boards alveo-u250]
set out     [file join $gen vivado]
set part    xcu250-figd2104-2L-e
file mkdir $out

if {![file exists [file join $gen top.v]]} {
    error "run `constraints/build alveo-u250` first: it writes $gen/top.v"
}

create_project -in_memory -part $part
set_property target_language Verilog [current_project]
# top.v only: ip_stubs.v holds black boxes for Yosys and must not be read here.
read_verilog [file join $gen top.v]
read_xdc [file join $board au250.xdc]

# --- PCIe: DMA/Bridge Subsystem in AXI Bridge mode, Gen3 x8, 256-bit AXI at 250 MHz -------
# BAR0 (128 KiB, the contract's BAR0_BYTES) maps to M_AXI_B at AXI address 0, so awaddr is
# the BAR offset the card core expects. S_AXI_B writes go to host memory untranslated.
create_ip -name xdma -vendor xilinx.com -library ip -module_name xdma_0 -dir $out
set_property -dict [list \
    CONFIG.functional_mode         {AXI_Bridge} \
    CONFIG.mode_selection          {Advanced} \
    CONFIG.device_port_type        {PCI_Express_Endpoint_device} \
    CONFIG.pl_link_cap_max_link_speed {8.0_GT/s} \
    CONFIG.pl_link_cap_max_link_width {X8} \
    CONFIG.axi_data_width          {256_bit} \
    CONFIG.axisten_freq            {250} \
    CONFIG.axi_addr_width          {64} \
    CONFIG.pf0_device_id           {5eca} \
    CONFIG.pf0_class_code_base     {05} \
    CONFIG.pf0_class_code_sub      {80} \
    CONFIG.pf0_bar0_enabled        {true} \
    CONFIG.pf0_bar0_type           {Memory} \
    CONFIG.pf0_bar0_64bit          {true} \
    CONFIG.pf0_bar0_size           {128} \
    CONFIG.pf0_bar0_scale          {Kilobytes} \
    CONFIG.pciebar2axibar_0        {0x0000000000000000} \
    CONFIG.axibar_num              {1} \
    CONFIG.axibar_0                {0x0000000000000000} \
    CONFIG.axibar_highaddr_0       {0xFFFFFFFFFFFFFFFF} \
    CONFIG.axibar2pciebar_0        {0x0000000000000000} \
    CONFIG.pf0_msix_enabled        {true} \
    CONFIG.pf0_msix_cap_table_size {004} \
    CONFIG.xdma_num_usr_irq        {4} \
    CONFIG.pcie_blk_locn           {PCIE4C_X1Y0} \
    CONFIG.select_quad             {GTY_Quad_227} \
] [get_ips xdma_0]

# --- 100G Ethernet: one CMAC per QSFP28 cage (cage 0 = plane X, cage 1 = plane Y) ----------
# The card computes and checks the Ethernet FCS itself (DESIGN.md section 3: the frame it
# builds already ends in its FCS), so the MAC must neither insert an FCS on transmit nor
# strip it on receive: set the CMAC's TX FCS insertion and RX FCS deletion off (PG203,
# ctl_tx_fcs_ins_enable / ctl_rx_delete_fcs; static configuration in the IP customisation).
foreach {cage core gts} {0 CMACE4_X0Y8 {X1Y44 X1Y45 X1Y46 X1Y47} 1 CMACE4_X0Y7 {X1Y40 X1Y41 X1Y42 X1Y43}} {
    create_ip -name cmac_usplus -vendor xilinx.com -library ip -module_name cmac_usplus_$cage -dir $out
    set_property -dict [list \
        CONFIG.CMAC_CAUI4_MODE     {1} \
        CONFIG.NUM_LANES           {4x25} \
        CONFIG.GT_REF_CLK_FREQ     {161.1328125} \
        CONFIG.USER_INTERFACE      {AXIS} \
        CONFIG.GT_DRP_CLK          {100} \
        CONFIG.INCLUDE_RS_FEC      {1} \
        CONFIG.TX_FLOW_CONTROL     {0} \
        CONFIG.RX_FLOW_CONTROL     {0} \
        CONFIG.CMAC_CORE_SELECT    $core \
        CONFIG.GT_GROUP_SELECT     "[lindex $gts 0]~[lindex $gts 3]" \
        CONFIG.LANE1_GT_LOC        [lindex $gts 0] \
        CONFIG.LANE2_GT_LOC        [lindex $gts 1] \
        CONFIG.LANE3_GT_LOC        [lindex $gts 2] \
        CONFIG.LANE4_GT_LOC        [lindex $gts 3] \
        CONFIG.TX_FCS_INS_ENABLE   {0} \
        CONFIG.RX_DELETE_FCS       {0} \
        CONFIG.ENABLE_PIPELINE_REG {1} \
    ] [get_ips cmac_usplus_$cage]
}

generate_target all [get_ips]
synth_ip [get_ips]

# --- Implementation ------------------------------------------------------------------------
synth_design -top top -part $part -flatten_hierarchy rebuilt
report_utilization -file [file join $out synth_utilization.rpt]
opt_design
place_design
phys_opt_design
route_design
report_timing_summary -max_paths 20 -file [file join $out timing_summary.rpt]
report_utilization -hierarchical -file [file join $out utilization.rpt]
report_clock_interaction -file [file join $out clock_interaction.rpt]
write_bitstream -force [file join $out top.bit]

# Card clock check, as constraints/build does for the open flow (DESIGN.md section 8).
set wns [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -setup]]
puts "seqfab: worst setup slack $wns ns (the card clock is 250 MHz: 4.000 ns)"
if {$wns < 0} { puts "seqfab: TIMING NOT MET" }
