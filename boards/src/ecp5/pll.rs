//! The ECP5 PLL (`EHXPLLL`) making the card clock from a board oscillator.

use rust_hdl::prelude::*;

/// Divider settings of an `EHXPLLL` with CLKOP as feedback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PllParams {
    pub clki_div: u64,
    pub clkfb_div: u64,
    pub clkop_div: u64,
    pub vco_mhz: u64,
}

/// Dividers for `in_mhz -> out_mhz` exactly, with the VCO in its 400..=800 MHz range
/// (ECP5 family data sheet, sysCLOCK PLL timing) and the phase detector at or above
/// 10 MHz; among exact solutions the one whose VCO is nearest 600 MHz and whose
/// reference divider is smallest, as `ecppll` chooses (it gives 2/5/2 for 100 -> 250).
pub fn pll_params(in_mhz: u64, out_mhz: u64) -> Option<PllParams> {
    let mut best: Option<PllParams> = None;
    for clki_div in 1..=128 {
        if in_mhz < 10 * clki_div {
            break;
        }
        for clkfb_div in 1..=80 {
            if in_mhz * clkfb_div != out_mhz * clki_div {
                continue;
            }
            for clkop_div in 1..=128 {
                let vco_mhz = out_mhz * clkop_div;
                if !(400..=800).contains(&vco_mhz) {
                    continue;
                }
                let p = PllParams {
                    clki_div,
                    clkfb_div,
                    clkop_div,
                    vco_mhz,
                };
                let better = match best {
                    None => true,
                    Some(b) => vco_mhz.abs_diff(600) < b.vco_mhz.abs_diff(600),
                };
                if better {
                    best = Some(p);
                }
            }
        }
    }
    best
}

/// `clk_out` = `clk_in` * `OUT_MHZ` / `IN_MHZ`. nextpnr derives the output clock's
/// frequency constraint from the input's and these dividers; the simulator model passes
/// the clock through (board tops are not simulated, the core is).
#[derive(LogicBlock, Default)]
pub struct Ecp5Pll<const IN_MHZ: u64, const OUT_MHZ: u64> {
    /// Reference clock from the board oscillator.
    pub clk_in: Signal<In, Clock>,
    /// The generated clock.
    pub clk_out: Signal<Out, Clock>,
    /// The PLL is locked.
    pub locked: Signal<Out, Bit>,
}

impl<const IN_MHZ: u64, const OUT_MHZ: u64> Ecp5Pll<IN_MHZ, OUT_MHZ> {
    pub fn new() -> Self {
        assert!(
            pll_params(IN_MHZ, OUT_MHZ).is_some(),
            "no EHXPLLL setting makes {OUT_MHZ} MHz from {IN_MHZ} MHz"
        );
        Self::default()
    }
}

impl<const IN_MHZ: u64, const OUT_MHZ: u64> Logic for Ecp5Pll<IN_MHZ, OUT_MHZ> {
    fn update(&mut self) {
        self.clk_out.next = self.clk_in.val();
        self.locked.next = true;
    }
    fn connect(&mut self) {
        self.clk_out.connect();
        self.locked.connect();
    }
    fn hdl(&self) -> Verilog {
        let p = pll_params(IN_MHZ, OUT_MHZ).expect("checked in new()");
        // Attribute and parameter set as ecppll writes it (prjtrellis' documented PLL
        // template); CPHASE = CLKOP_DIV - 1 gives 0 degrees of phase.
        let code = format!(
            r#"
(* FREQUENCY_PIN_CLKI="{IN_MHZ}" *)
(* FREQUENCY_PIN_CLKOP="{OUT_MHZ}" *)
(* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *) (* MFG_GMCREF_SEL="2" *)
EHXPLLL #(
    .PLLRST_ENA("DISABLED"),
    .INTFB_WAKE("DISABLED"),
    .STDBY_ENABLE("DISABLED"),
    .DPHASE_SOURCE("DISABLED"),
    .OUTDIVIDER_MUXA("DIVA"),
    .OUTDIVIDER_MUXB("DIVB"),
    .OUTDIVIDER_MUXC("DIVC"),
    .OUTDIVIDER_MUXD("DIVD"),
    .CLKI_DIV({clki}),
    .CLKOP_ENABLE("ENABLED"),
    .CLKOP_DIV({op}),
    .CLKOP_CPHASE({cphase}),
    .CLKOP_FPHASE(0),
    .FEEDBK_PATH("CLKOP"),
    .CLKFB_DIV({fb})
) pll_i (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clk_in),
    .CLKOP(clk_out),
    .CLKFB(clk_out),
    .CLKINTFB(),
    .PHASESEL0(1'b0),
    .PHASESEL1(1'b0),
    .PHASEDIR(1'b1),
    .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC(1'b0),
    .ENCLKOP(1'b0),
    .LOCK(locked)
);
"#,
            clki = p.clki_div,
            op = p.clkop_div,
            cphase = p.clkop_div - 1,
            fb = p.clkfb_div,
        );
        Verilog::Wrapper(Wrapper {
            code,
            cores: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dividers_match_ecppll() {
        // `ecppll -i 100 -o 250`: CLKI_DIV 2, CLKFB_DIV 5, CLKOP_DIV 2, VCO 500.
        assert_eq!(
            pll_params(100, 250),
            Some(PllParams {
                clki_div: 2,
                clkfb_div: 5,
                clkop_div: 2,
                vco_mhz: 500
            })
        );
        // `ecppll -i 100 -o 200`: 1 / 2 / 3, VCO 600.
        assert_eq!(pll_params(100, 200).map(|p| p.clkop_div), Some(3));
        assert_eq!(pll_params(100, 1000), None);
    }
}
