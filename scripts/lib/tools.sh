# Installs the system tools seqfab's commands need, when they are missing.
# Sourced by scripts/check and scripts/demo; nothing else may rely on hand-installed tools.

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "error: need root to run '$*' (install it by hand or run as root)" >&2; return 1
    fi
}

# Verilator (lint and the cluster model) and the C++ toolchain it compiles with, from
# Debian's packages. Verilator does not pull in g++ and make itself.
ensure_verilator() {
    if command -v verilator >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1; then
        return 0
    fi
    echo "==> installing verilator, g++ and make from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq verilator g++ make >/dev/null
    verilator --version
}

# tshark, to check that the simulator's pcaps decode with good FCS (sim/tests/pcap.rs).
ensure_tshark() {
    if command -v tshark >/dev/null 2>&1; then
        return 0
    fi
    echo "==> installing tshark from Debian's packages"
    as_root apt-get update -qq
    echo "wireshark-common wireshark-common/install-setuid boolean false" | as_root debconf-set-selections
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark >/dev/null
}

# Python 3, for the timing estimator's self-test (constraints/logic_depth.py) and the
# board flow (constraints/build).
ensure_python3() {
    if command -v python3 >/dev/null 2>&1; then
        return 0
    fi
    echo "==> installing python3 from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
}

step() {
    echo
    echo "==> $*"
}

# protoc: etcd-client (the etcd store of seqfab-manage, built into seqfabd) compiles
# etcd's protocol definitions at build time.
ensure_protoc() {
    if command -v protoc >/dev/null 2>&1; then
        return 0
    fi
    echo "==> installing protobuf-compiler from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
}

# The management tests: a real etcd (started on loopback by the tests), promtool to
# check the metrics page, curl to fetch it.
ensure_manager_test_tools() {
    local missing=()
    command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
    command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing ${missing[*]} from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # Debian starts the packaged services; the tests run their own on free ports.
    as_root systemctl stop etcd prometheus 2>/dev/null || true
}
