use super::*;

const SAMPLE: &str = "
module top$child(d,q);
input wire [1:0] d;
output reg [1:0] q;
endmodule

module top(clock,enable,step,wide,taps$0,taps$1);
// Module arguments
input wire  clock;
input wire  enable;
input wire  [6:0] step;
input wire signed [511:0] wide;
output reg  [63:0] taps$0;
output reg  [0:63] taps$1;
reg  [6:0] count_r$d;
endmodule // top
";

#[test]
fn reads_rust_hdl_port_declarations_in_header_order() {
    let ports = parse_module_ports(SAMPLE, "top").unwrap();
    let got: Vec<(&str, Dir, u32)> = ports
        .iter()
        .map(|p| (p.name.as_str(), p.dir, p.width))
        .collect();
    assert_eq!(
        got,
        vec![
            ("clock", Dir::In, 1),
            ("enable", Dir::In, 1),
            ("step", Dir::In, 7),
            ("wide", Dir::In, 512),
            ("taps$0", Dir::Out, 64),
            ("taps$1", Dir::Out, 64),
        ]
    );
    let child = parse_module_ports(SAMPLE, "top$child").unwrap();
    assert_eq!(child.len(), 2);
}

#[test]
fn rejects_missing_module_undeclared_port_and_inout() {
    assert!(parse_module_ports(SAMPLE, "nope").is_err());
    let v = "module top(a,b);\n input wire a;\nendmodule";
    assert!(parse_module_ports(v, "top").unwrap_err().0.contains("`b`"));
    let v = "module top(a);\n inout wire a;\nendmodule";
    assert!(parse_module_ports(v, "top").is_err());
}

#[test]
fn maps_names_to_rust_and_decodes_verilator_names() {
    assert_eq!(rust_ident("taps$0"), "taps_0");
    assert_eq!(verilator_decode("taps__0240"), "taps$0");
    assert_eq!(verilator_decode("a___05Fb"), "a__b");
    assert_eq!(verilator_decode("plain_name"), "plain_name");
}
