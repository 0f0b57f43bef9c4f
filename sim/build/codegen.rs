//! Generates, from a model's port list, the C++ shim (C ABI over the Verilator class) and
//! the Rust code (`extern` declaration and the safe `Model` type) for `build.rs`.
//!
//! Ports are numbered in Verilog header order with the clock left out; the same number
//! selects the port in the C++ `set`/`get` switch, in the Rust `PORTS` table and in the
//! typed accessors. Values cross the C ABI as little-endian 64-bit words (word 0 = bits
//! 63:0); the shim converts to and from Verilator's `VlWide` 32-bit words, so Rust needs
//! no pointer casts and no assumption about byte order.

use std::fmt::Write as _;

use seqfab_gateware::verilog_ports::{rust_ident, Dir, VerilogPort};

/// A port as Verilator declared it in `V<prefix>.h`.
pub struct HeaderPort {
    pub cpp_name: String,
    pub verilog_name: String,
    pub dir: Dir,
    pub width: u32,
    /// `VL_INW`/`VL_OUTW`: a `VlWide` array of 32-bit words (more than 64 bits).
    pub wide: bool,
}

/// One non-clock port with every name it goes by.
pub struct ShimPort {
    pub verilog_name: String,
    pub rust_name: String,
    pub cpp_name: String,
    pub dir: Dir,
    pub width: u32,
    pub wide: bool,
}

impl ShimPort {
    fn words64(&self) -> u32 {
        self.width.div_ceil(64)
    }
}

/// A model's ports, ready for code generation.
pub struct ModelPorts {
    pub model: String,
    pub clock_cpp: String,
    pub ports: Vec<ShimPort>,
}

/// Joins the ports read from the Verilog with those Verilator declared, and checks that
/// they agree (name, direction, width) and that there is exactly one clock input `clock`.
pub fn match_ports(
    model: &str,
    verilog: &[VerilogPort],
    header: &[HeaderPort],
) -> Result<ModelPorts, String> {
    let listed = || {
        header
            .iter()
            .map(|h| format!("{} ({})", h.verilog_name, h.cpp_name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if verilog.len() != header.len() {
        return Err(format!(
            "model `{model}`: the Verilog declares {} ports but Verilator's header has {}: {}",
            verilog.len(),
            header.len(),
            listed()
        ));
    }
    let mut clock_cpp = None;
    let mut ports: Vec<ShimPort> = Vec::new();
    for v in verilog {
        let h = header
            .iter()
            .find(|h| h.verilog_name == v.name)
            .ok_or_else(|| {
                format!(
                    "model `{model}`: port `{}` not found in Verilator's header; it has: {}",
                    v.name,
                    listed()
                )
            })?;
        if h.dir != v.dir || h.width != v.width {
            return Err(format!(
                "model `{model}`: port `{}` is {:?} {} bits in the Verilog but {:?} {} bits in Verilator's header",
                v.name, v.dir, v.width, h.dir, h.width
            ));
        }
        if v.name == "clock" {
            if v.dir != Dir::In || v.width != 1 {
                return Err(format!("model `{model}`: `clock` must be a 1-bit input"));
            }
            clock_cpp = Some(h.cpp_name.clone());
            continue;
        }
        let rust_name = rust_ident(&v.name);
        if let Some(other) = ports.iter().find(|p| p.rust_name == rust_name) {
            return Err(format!(
                "model `{model}`: ports `{}` and `{}` both map to the Rust name `{rust_name}`",
                other.verilog_name, v.name
            ));
        }
        ports.push(ShimPort {
            verilog_name: v.name.clone(),
            rust_name,
            cpp_name: h.cpp_name.clone(),
            dir: v.dir,
            width: v.width,
            wide: h.wide,
        });
    }
    let clock_cpp = clock_cpp.ok_or_else(|| {
        format!("model `{model}`: no input `clock` (the model's tick() drives it)")
    })?;
    Ok(ModelPorts {
        model: model.to_string(),
        clock_cpp,
        ports,
    })
}

/// The C++ shim: a table of `extern "C"`-callable functions over `V<model>`.
pub fn cpp_shim(m: &ModelPorts) -> String {
    let class = format!("V{}", m.model);
    let clock = &m.clock_cpp;
    let mut zero = String::new();
    let mut set = String::new();
    let mut get = String::new();
    for (i, p) in m.ports.iter().enumerate() {
        let c = &p.cpp_name;
        if p.dir == Dir::In {
            if p.wide {
                let _ = writeln!(zero, "    for (auto& w : t->{c}.m_storage) w = 0;");
            } else {
                let _ = writeln!(zero, "    t->{c} = 0;");
            }
        }
        if p.dir == Dir::In {
            if p.wide {
                let _ = writeln!(
                    set,
                    "    case {i}: put_wide(t->{c}, w, {}); break;",
                    p.width
                );
            } else {
                let _ = writeln!(
                    set,
                    "    case {i}: t->{c} = static_cast<std::remove_reference_t<decltype(t->{c})>>(w[0] & mask64({})); break;",
                    p.width
                );
            }
        }
        if p.wide {
            let _ = writeln!(get, "    case {i}: get_wide(t->{c}, w); break;");
        } else {
            let _ = writeln!(get, "    case {i}: w[0] = t->{c}; break;");
        }
    }
    let n = m.ports.len();
    let model = &m.model;
    format!(
        r#"// Generated by seqfab-sim's build.rs from the port list of model `{model}`. Do not edit.
//
// A C ABI over the Verilator class {class}: one function table per model, returned by
// seqfab_vm_{model}_vtable(). Values cross as little-endian 64-bit words (word 0 = bits
// 63:0). Every function is noexcept: a C++ exception must never unwind into Rust.

#include <cstdint>
#include <type_traits>

#include "verilated.h"
#include "{class}.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

namespace {{

// Half a clock period in VCD time units (Verilator's default, 1 ps): the card's nominal
// 250 MHz clock (DESIGN.md 8), so a waveform shows real time. Cycle n's falling phase is
// dumped at 4000*n ps and its rising edge at 4000*n + 2000 ps.
constexpr uint64_t kHalfPeriod = 2000;

struct Shim {{
    VerilatedContext ctx;
    {class}* top = nullptr;
#if VM_TRACE
    VerilatedVcdC* vcd = nullptr;
#endif
    uint64_t time = 0;
}};

constexpr uint64_t mask64(uint32_t width) {{
    return width >= 64 ? ~0ULL : ((1ULL << width) - 1);
}}

// Verilator requires the unused top bits of an input's last word to be zero.
template <std::size_t W>
void put_wide(VlWide<W>& dst, const uint64_t* src, uint32_t width) {{
    for (std::size_t i = 0; i < W; ++i) {{
        const uint64_t w = src[i / 2];
        dst.m_storage[i] = static_cast<EData>((i % 2) ? (w >> 32) : w);
    }}
    if (width % 32) dst.m_storage[W - 1] &= (static_cast<EData>(1) << (width % 32)) - 1;
}}

template <std::size_t W>
void get_wide(const VlWide<W>& src, uint64_t* dst) {{
    for (std::size_t i = 0; 2 * i < W; ++i) {{
        const uint64_t lo = src.m_storage[2 * i];
        const uint64_t hi = (2 * i + 1 < W) ? src.m_storage[2 * i + 1] : 0;
        dst[i] = lo | (hi << 32);
    }}
}}

void dump(Shim* s) {{
#if VM_TRACE
    if (s->vcd) s->vcd->dump(s->time);
#else
    (void)s;
#endif
}}

void* create() noexcept {{
    try {{
        Shim* s = new Shim;
#if VM_TRACE
        // Must precede the first eval for trace() to be allowed later.
        s->ctx.traceEverOn(true);
#endif
        s->top = new {class}(&s->ctx);
        {class}* t = s->top;
        // Inputs start at zero, like rust-hdl's Signal::default(), whatever --x-initial does.
{zero}        t->{clock} = 0;
        t->eval();
        return s;
    }} catch (...) {{
        return nullptr;
    }}
}}

void destroy(void* h) noexcept {{
    Shim* s = static_cast<Shim*>(h);
#if VM_TRACE
    if (s->vcd) {{
        s->vcd->close();
        delete s->vcd;
    }}
#endif
    s->top->final();
    delete s->top;
    delete s;
}}

void eval(void* h) noexcept {{ static_cast<Shim*>(h)->top->eval(); }}

// One clock cycle per iteration: clock low + eval (inputs set since the last tick
// propagate), then clock high + eval (the rising edge samples them).
void tick(void* h, uint64_t n) noexcept {{
    Shim* s = static_cast<Shim*>(h);
    {class}* t = s->top;
    for (uint64_t i = 0; i < n; ++i) {{
        t->{clock} = 0;
        t->eval();
        dump(s);
        s->time += kHalfPeriod;
        s->ctx.time(s->time);
        t->{clock} = 1;
        t->eval();
        dump(s);
        s->time += kHalfPeriod;
        s->ctx.time(s->time);
    }}
}}

// Half a clock cycle: the clock to `level`, then eval. Lets a caller settle new inputs
// with the clock low, read the outputs, then raise the clock: two evals per cycle where
// eval() + tick() takes three.
void half(void* h, uint32_t level) noexcept {{
    Shim* s = static_cast<Shim*>(h);
    s->top->{clock} = level ? 1 : 0;
    s->top->eval();
    dump(s);
    s->time += kHalfPeriod;
    s->ctx.time(s->time);
}}

void set(void* h, uint32_t port, const uint64_t* w) noexcept {{
    {class}* t = static_cast<Shim*>(h)->top;
    switch (port) {{
{set}    default: break;
    }}
}}

void get(const void* h, uint32_t port, uint64_t* w) noexcept {{
    const {class}* t = static_cast<const Shim*>(h)->top;
    switch (port) {{
{get}    default: break;
    }}
}}

// 0: open; 1: built without tracing; 2: the file could not be opened.
int32_t trace_open(void* h, const char* path) noexcept {{
#if VM_TRACE
    Shim* s = static_cast<Shim*>(h);
    try {{
        if (s->vcd) {{
            s->vcd->close();
            delete s->vcd;
            s->vcd = nullptr;
        }}
        VerilatedVcdC* vcd = new VerilatedVcdC;
        s->top->trace(vcd, 99);
        vcd->open(path);
        if (!vcd->isOpen()) {{
            delete vcd;
            return 2;
        }}
        s->vcd = vcd;
        return 0;
    }} catch (...) {{
        return 2;
    }}
#else
    (void)h;
    (void)path;
    return 1;
#endif
}}

void trace_flush(void* h) noexcept {{
#if VM_TRACE
    Shim* s = static_cast<Shim*>(h);
    if (s->vcd) s->vcd->flush();
#else
    (void)h;
#endif
}}

void trace_close(void* h) noexcept {{
#if VM_TRACE
    Shim* s = static_cast<Shim*>(h);
    if (s->vcd) {{
        s->vcd->close();
        delete s->vcd;
        s->vcd = nullptr;
    }}
#else
    (void)h;
#endif
}}

}}  // namespace

// Field order and types match `VTable` in sim/src/ffi.rs.
struct SeqfabVmVTable {{
    uint32_t n_ports;
    void* (*create)();
    void (*destroy)(void*);
    void (*eval)(void*);
    void (*tick)(void*, uint64_t);
    void (*set)(void*, uint32_t, const uint64_t*);
    void (*get)(const void*, uint32_t, uint64_t*);
    int32_t (*trace_open)(void*, const char*);
    void (*trace_flush)(void*);
    void (*trace_close)(void*);
    void (*half)(void*, uint32_t);
}};

extern "C" const SeqfabVmVTable* seqfab_vm_{model}_vtable() {{
    static const SeqfabVmVTable vt = {{
        {n}, create, destroy, eval, tick, set, get, trace_open, trace_flush, trace_close, half,
    }};
    return &vt;
}}
"#
    )
}

/// The `extern` declaration of a model's function table, included into `src/ffi.rs`.
pub fn rust_ffi(m: &ModelPorts) -> String {
    let model = &m.model;
    format!(
        r#"
extern "C" {{
    fn seqfab_vm_{model}_vtable() -> *const VTable;
}}

/// The C ABI of model `{model}`.
pub(crate) fn {model}_vtable() -> &'static VTable {{
    // SAFETY: the function is defined in the generated shim that build.rs compiles and
    // links into this crate; it takes no arguments and returns the address of a `static`
    // table with the layout of `VTable`, which lives for the whole program.
    unsafe {{ &*seqfab_vm_{model}_vtable() }}
}}
"#
    )
}

/// The safe `Model` type of one model, included into `src/models.rs`.
pub fn rust_model(m: &ModelPorts) -> String {
    let model = &m.model;
    let mut table = String::new();
    let mut accessors = String::new();
    for (i, p) in m.ports.iter().enumerate() {
        let dir = match p.dir {
            Dir::In => "In",
            Dir::Out => "Out",
        };
        let _ = writeln!(
            table,
            "        PortInfo {{ name: {:?}, width: {}, dir: Dir::{dir} }},",
            p.verilog_name, p.width
        );
        let (vn, rn, width, words) = (&p.verilog_name, &p.rust_name, p.width, p.words64());
        let bits = if width == 1 {
            "1 bit".to_string()
        } else {
            format!("{width} bits")
        };
        if p.width <= 64 {
            if p.dir == Dir::In {
                let _ = write!(
                    accessors,
                    r#"
        /// Sets input `{vn}` ({bits}; higher bits of `value` are ignored). The next
        /// [`tick`](Self::tick) samples it at the rising edge.
        #[inline]
        pub fn set_{rn}(&mut self, value: u64) {{
            self.raw.set({i}, &[value]);
        }}
"#
                );
            }
            let _ = write!(
                accessors,
                r#"
        /// Reads {kind} `{vn}` ({bits}).
        #[inline]
        pub fn get_{rn}(&self) -> u64 {{
            let mut w = [0u64; 1];
            self.raw.get({i}, &mut w);
            w[0]
        }}
"#,
                kind = if p.dir == Dir::In { "input" } else { "output" }
            );
        } else {
            if p.dir == Dir::In {
                let _ = write!(
                    accessors,
                    r#"
        /// Sets input `{vn}` ({width} bits as {words} little-endian 64-bit words: word 0 is
        /// bits 63:0; bits at and above {width} are ignored). The next
        /// [`tick`](Self::tick) samples it at the rising edge.
        #[inline]
        pub fn set_{rn}(&mut self, value: &[u64; {words}]) {{
            self.raw.set({i}, value);
        }}
"#
                );
            }
            let _ = write!(
                accessors,
                r#"
        /// Reads {kind} `{vn}` ({width} bits as {words} little-endian 64-bit words).
        #[inline]
        pub fn get_{rn}(&self) -> [u64; {words}] {{
            let mut w = [0u64; {words}];
            self.raw.get({i}, &mut w);
            w
        }}
"#,
                kind = if p.dir == Dir::In { "input" } else { "output" }
            );
        }
    }
    format!(
        r#"
/// Verilator model `{model}` (generated by build.rs from the design's port list).
pub mod {model} {{
    use crate::{{Dir, PortInfo}};

    /// The model's ports in Verilog header order, without `clock` (driven by `tick`).
    /// An index into this table selects the port in [`Model::set_port`] and
    /// [`Model::get_port`].
    pub const PORTS: &[PortInfo] = &[
{table}    ];

    verilated_model!({model}, crate::ffi::{model}_vtable);

    // Accessor names follow the Verilog port names, whatever their case.
    #[allow(non_snake_case)]
    impl Model {{{accessors}    }}
}}
"#
    )
}
