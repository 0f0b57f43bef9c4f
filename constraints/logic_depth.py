"""Pre-route timing estimate of an ECP5 netlist: the deepest register-to-register paths.

nextpnr reports one critical path per clock after a place-and-route run that takes 20
minutes on a 60 %-full ECP5-45; closing timing one path per run is too slow. This module
reads the netlist `synth_ecp5 -json` writes and walks it with a simple delay model, in
seconds, so that every path that cannot meet the clock shows up at once, named by the
nets it passes through.

The model (speed grade 8, rounded from nextpnr's ECP5 timing database and from the
routed reports of this project; it ranks paths, it does not sign off):

| element | ns |
|---|---|
| flip-flop clock-to-out, or a block RAM / LUT RAM read | 0.5 |
| a net between slices (routing) | 0.55 |
| LUT4 | 0.25 |
| PFUMX / L6MUX21 after a LUT (same slice, no routing) | 0.15 |
| CCU2C entered from logic | 0.35; 0.06 per further CCU2C along the carry chain |
| setup at a flip-flop | 0.1 |

A net from a LUT4 into the PFUMX/L6MUX of its own slice costs no routing. An ECP5 at
200 MHz gives 5 ns: about five LUT levels with their routing.
"""

import json
import re
from collections import defaultdict

CLK_TO_Q = 0.5
ROUTE = 0.55
LUT = 0.25
MUX = 0.15
CARRY_ENTRY = 0.35
CARRY_STEP = 0.06
SETUP = 0.1

# Cell types whose outputs start paths and whose inputs end them.
SEQUENTIAL = {"TRELLIS_FF", "DP16KD", "MULT18X18D", "ALU54B", "EHXPLLL", "DCUA", "DTR"}
# LUT RAM: reads are combinational from the read address, writes are clocked.
LUTRAM = {"TRELLIS_DPR16X4"}


class Netlist:
    """The flattened top module as a graph of cells and net bits."""

    def __init__(self, path, top="top"):
        data = json.loads(open(path).read())
        mods = data["modules"]
        mod = mods.get(top) or mods.get("\\" + top)
        if mod is None:
            raise SystemExit(f"{path}: no module {top!r}")
        self.cells = mod["cells"]
        self.names = {}
        for name, net in mod["netnames"].items():
            hidden = net.get("hide_name", 0)
            for i, bit in enumerate(net["bits"]):
                if isinstance(bit, str):
                    continue
                label = name if len(net["bits"]) == 1 else f"{name}[{i}]"
                old = self.names.get(bit)
                # Prefer visible, short names.
                if old is None or (old[0] and not hidden) or (
                    old[0] == hidden and len(label) < len(old[1])
                ):
                    self.names[bit] = (hidden, label)
        self.drivers = {}
        self.sinks = defaultdict(list)
        for cname, cell in self.cells.items():
            dirs = cell.get("port_directions", {})
            for port, bits in cell["connections"].items():
                for bit in bits:
                    if isinstance(bit, str):
                        continue
                    if dirs.get(port) == "output":
                        self.drivers[bit] = (cname, port)
                    else:
                        self.sinks[bit].append((cname, port))

    def net_name(self, bit):
        return self.names.get(bit, (1, f"net{bit}"))[1].lstrip("\\")


def analyse(path, top="top"):
    """Arrival time at every net bit and the worst endpoints, as (ns, path) pairs."""
    nl = Netlist(path, top)
    arrival = {}
    via = {}  # bit -> previous bit on the worst path
    state = {}

    def cell_delay(ctype, in_port, in_bit):
        """Delay from `in_bit` (entering at `in_port`) to the cell's output, and the
        routing cost of the net that brought it."""
        drv = nl.drivers.get(in_bit)
        drv_type = nl.cells[drv[0]]["type"] if drv else None
        route = ROUTE
        if ctype in ("PFUMX", "L6MUX21") and drv_type in ("LUT4", "PFUMX"):
            route = 0.0
        if ctype == "CCU2C" and in_port == "CIN":
            return CARRY_STEP, 0.0
        if ctype == "LUT4":
            return LUT, route
        if ctype in ("PFUMX", "L6MUX21"):
            return MUX, route
        if ctype == "CCU2C":
            return CARRY_ENTRY, route
        if ctype in LUTRAM:
            return CLK_TO_Q, route
        return LUT, route

    def arrive(bit):
        """Arrival time of a net bit (memoised, iterative to survive deep carry chains)."""
        stack = [bit]
        while stack:
            b = stack[-1]
            if b in arrival:
                stack.pop()
                continue
            drv = nl.drivers.get(b)
            if drv is None:
                arrival[b] = 0.0  # a top-level input: registered in the board top
                via[b] = None
                stack.pop()
                continue
            cname, oport = drv
            cell = nl.cells[cname]
            ctype = cell["type"]
            if ctype in SEQUENTIAL:
                arrival[b] = CLK_TO_Q
                via[b] = None
                stack.pop()
                continue
            dirs = cell.get("port_directions", {})
            inputs = []
            for port, bits in cell["connections"].items():
                if dirs.get(port) == "output":
                    continue
                if ctype in LUTRAM and port != "RAD":
                    continue
                if ctype == "CCU2C" and oport in ("S0",) and port in (
                        "A1", "B1", "C1", "D1"):
                    continue
                for ib in bits:
                    if not isinstance(ib, str):
                        inputs.append((port, ib))
            pending = [ib for _, ib in inputs if ib not in arrival]
            if pending:
                if state.get(b) == "open":
                    raise SystemExit(f"combinational loop through {nl.net_name(b)}")
                state[b] = "open"
                stack.extend(pending)
                continue
            best, best_in = 0.0, None
            for port, ib in inputs:
                d, r = cell_delay(ctype, port, ib)
                t = arrival[ib] + r + d
                if t > best:
                    best, best_in = t, ib
            arrival[b] = best
            via[b] = best_in
            stack.pop()

    endpoints = []
    for cname, cell in nl.cells.items():
        ctype = cell["type"]
        if ctype not in SEQUENTIAL and ctype not in LUTRAM:
            continue
        dirs = cell.get("port_directions", {})
        for port, bits in cell["connections"].items():
            if dirs.get(port) == "output" or port in ("CLK", "WCK", "CLKA", "CLKB"):
                continue
            for b in bits:
                if isinstance(b, str):
                    continue
                arrive(b)
                t = arrival[b] + ROUTE + SETUP
                endpoints.append((t, _endpoint_name(nl, cell, cname), port, b))
    endpoints.sort(key=lambda e: -e[0])

    def trace(bit):
        names = []
        while bit is not None:
            names.append(nl.net_name(bit))
            bit = via.get(bit)
        return list(reversed(names))

    return nl, endpoints, trace


def report(path, period_ns, limit=25, top="top"):
    """Text report: the worst endpoints (one per register group), each with its path."""
    nl, endpoints, trace = analyse(path, top)
    lines = []
    worst = endpoints[0][0] if endpoints else 0.0
    failing = [e for e in endpoints if e[0] > period_ns]
    lines.append(
        f"estimated worst path {worst:.2f} ns ({1000.0 / worst:.0f} MHz); "
        f"{len(failing)} of {len(endpoints)} endpoint bits over {period_ns:.2f} ns"
    )
    # Worst endpoint and failing endpoint bits per block (the name's first two parts).
    blocks = {}
    for t, cname, port, bit in endpoints:
        parts = cname.split(".")
        block = ".".join(parts[:2]) if len(parts) > 2 else parts[0]
        worst_t, n = blocks.get(block, (0.0, 0))
        blocks[block] = (max(worst_t, t), n + (t > period_ns))
    lines.append("per block: worst endpoint, endpoint bits over the period")
    for block, (t, n) in sorted(blocks.items(), key=lambda kv: -kv[1][0]):
        if t > period_ns:
            lines.append(f"  {t:6.2f} ns {n:6d}  {block}")
    seen = set()
    shown = 0
    for t, cname, port, bit in endpoints:
        path_names = trace(bit)
        # One line per (start group, end group), so a 64-bit bus shows once.
        key = (_group(signal_name(path_names[0])), _group(cname) + port)
        if key in seen:
            continue
        seen.add(key)
        shown += 1
        lines.append(f"{t:6.2f} ns  {cname} .{port}")
        lines.append("          " + " -> ".join(_short(n) for n in _compact(path_names)))
        if shown >= limit:
            break
    return "\n".join(lines), worst


def _endpoint_name(nl, cell, cname):
    """A flip-flop by the net its Q drives (the register's name), other cells by name."""
    q = cell["connections"].get("Q")
    if q and not isinstance(q[0], str):
        return signal_name(nl.net_name(q[0]))
    return cname


_SUFFIX = re.compile(r"_(LUT4|PFUMX|L6MUX21|CCU2C|TRELLIS_FF|TRELLIS_DPR16X4)(_.*)?$")


def signal_name(name):
    """A net or cell named after the cell Yosys made from it (`autoname`), back to the
    name of the signal it came from: `core.regs.epoch_TRELLIS_FF_Q_1` -> `core.regs.epoch`."""
    return _SUFFIX.sub("", name).split("$abc")[0]


def _group(name):
    """A bus name without its bit index."""
    return name.split("[")[0]


def _short(name):
    return name if len(name) < 70 else name[:67] + "..."


def _compact(names):
    """Drops repeated consecutive names (carry chains) and Yosys's anonymous nets."""
    out = []
    for n in (signal_name(n) for n in names):
        if n.startswith("$") and 0 < len(out) and n != names[-1]:
            if out[-1] != "...":
                out.append("...")
            continue
        if out and _group(out[-1]) == _group(n):
            continue
        out.append(n)
    return out


def self_test():
    """Checks the model on a netlist built here: FF -> LUT4 -> PFUMX -> LUT4 -> FF, a
    carry chain of three CCU2C between two other FFs, and a LUT RAM read. Exits non-zero
    on a wrong arrival time, so `scripts/check` can run it."""
    import os
    import tempfile

    def cell(ctype, conns, outputs):
        return {"type": ctype, "connections": conns,
                "port_directions": {p: ("output" if p in outputs else "input")
                                    for p in conns}}

    cells = {
        "ff_a": cell("TRELLIS_FF", {"CLK": [1], "DI": [2], "Q": [3]}, {"Q"}),
        "lut_1": cell("LUT4", {"A": [3], "B": [4], "Z": [5]}, {"Z"}),
        "mux": cell("PFUMX", {"ALUT": [5], "BLUT": [4], "C0": [4], "Z": [6]}, {"Z"}),
        "lut_2": cell("LUT4", {"A": [6], "Z": [7]}, {"Z"}),
        "ff_b": cell("TRELLIS_FF", {"CLK": [1], "DI": [7], "Q": [8]}, {"Q"}),
        "cc_0": cell("CCU2C", {"A0": [8], "CIN": [4], "COUT": [9], "S0": [10]},
                     {"COUT", "S0"}),
        "cc_1": cell("CCU2C", {"A0": [4], "CIN": [9], "COUT": [11], "S0": [12]},
                     {"COUT", "S0"}),
        "cc_2": cell("CCU2C", {"A0": [4], "CIN": [11], "COUT": [13], "S0": [14]},
                     {"COUT", "S0"}),
        "ff_c": cell("TRELLIS_FF", {"CLK": [1], "DI": [14], "Q": [15]}, {"Q"}),
        "ram": cell("TRELLIS_DPR16X4", {"RAD": [15], "WCK": [1], "DI": [4], "DO": [16]},
                    {"DO"}),
        "ff_d": cell("TRELLIS_FF", {"CLK": [1], "DI": [16], "Q": [2]}, {"Q"}),
    }
    names = {f"n{b}": {"bits": [b], "hide_name": 0} for b in range(1, 17)}
    netlist = {"modules": {"top": {"cells": cells, "netnames": names}}}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.json")
        with open(path, "w") as f:
            json.dump(netlist, f)
        _, endpoints, _ = analyse(path)
    got = {(name, port): round(t, 3) for t, name, port, _ in endpoints}
    end = ROUTE + SETUP
    want = {
        # clock-to-out, route, LUT; no route into the PFU mux; mux; route, LUT; route, setup
        ("n8", "DI"): round(CLK_TO_Q + ROUTE + LUT + MUX + ROUTE + LUT + end, 3),
        # the chain enters at its first cell and ripples through two more
        ("n15", "DI"): round(CLK_TO_Q + ROUTE + CARRY_ENTRY + 2 * CARRY_STEP + end, 3),
        # LUT RAM read from a flip-flop's address
        ("n2", "DI"): round(CLK_TO_Q + ROUTE + CLK_TO_Q + end, 3),
    }
    bad = [f"{k}: got {got.get(k)} want {v}" for k, v in want.items() if got.get(k) != v]
    if bad:
        raise SystemExit("logic_depth self-test failed:\n  " + "\n  ".join(bad))
    print("logic_depth self-test: ok")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    if not sys.argv[1:]:
        sys.exit("usage: logic_depth.py NETLIST.json [PERIOD_NS] | --self-test")
    text, _ = report(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 4.0)
    print(text)
