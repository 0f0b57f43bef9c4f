//! The boundary to the Verilator models: the only module of this crate with `unsafe`.
//!
//! Each model's generated C++ shim (`build/codegen.rs`) exports one function that returns
//! a table of C-ABI functions ([`VTable`]); [`RawModel`] owns one model instance through
//! that table and offers safe, bounds-checked calls. Everything above this module is safe
//! Rust.

use std::ffi::{c_char, c_void, CString};
use std::path::Path;
use std::ptr::NonNull;

use crate::{Error, PortInfo};

/// A model's C ABI. Field order and types match `SeqfabVmVTable` in the generated shim.
#[repr(C)]
pub(crate) struct VTable {
    n_ports: u32,
    create: unsafe extern "C" fn() -> *mut c_void,
    destroy: unsafe extern "C" fn(*mut c_void),
    eval: unsafe extern "C" fn(*mut c_void),
    tick: unsafe extern "C" fn(*mut c_void, u64),
    set: unsafe extern "C" fn(*mut c_void, u32, *const u64),
    get: unsafe extern "C" fn(*const c_void, u32, *mut u64),
    trace_open: unsafe extern "C" fn(*mut c_void, *const c_char) -> i32,
    trace_flush: unsafe extern "C" fn(*mut c_void),
    trace_close: unsafe extern "C" fn(*mut c_void),
    half: unsafe extern "C" fn(*mut c_void, u32),
}

/// One live model instance (a `VerilatedContext` and the model, owned by the shim).
///
/// Not `Send`: a model is created and used on one thread (a cluster simulation that wants
/// parallelism creates one model per thread).
pub(crate) struct RawModel {
    vt: &'static VTable,
    handle: NonNull<c_void>,
    ports: &'static [PortInfo],
}

impl RawModel {
    /// Creates a model; inputs start at zero, clock low, and one `eval` has run, so the
    /// outputs show the initial state.
    ///
    /// # Panics
    /// If the table does not belong to `ports` (a build script bug) or the C++ side fails
    /// to allocate.
    pub(crate) fn new(vt: &'static VTable, ports: &'static [PortInfo]) -> Self {
        assert_eq!(
            vt.n_ports as usize,
            ports.len(),
            "generated port table and shim disagree"
        );
        // SAFETY: `create` takes no arguments; it returns a new heap object or null (it
        // catches every C++ exception).
        let raw = unsafe { (vt.create)() };
        let handle = NonNull::new(raw).expect("Verilator model allocation failed");
        Self { vt, handle, ports }
    }

    /// Evaluates the model without moving the clock.
    pub(crate) fn eval(&mut self) {
        // SAFETY: `handle` came from this table's `create` and is not yet destroyed;
        // `&mut self` gives exclusive use of it.
        unsafe { (self.vt.eval)(self.handle.as_ptr()) }
    }

    /// `n` clock cycles (see the shim's `tick`).
    pub(crate) fn tick(&mut self, n: u64) {
        // SAFETY: as in `eval`.
        unsafe { (self.vt.tick)(self.handle.as_ptr(), n) }
    }

    /// Half a clock cycle: the clock to `high`, then eval (see the shim's `half`).
    pub(crate) fn half(&mut self, high: bool) {
        // SAFETY: as in `eval`.
        unsafe { (self.vt.half)(self.handle.as_ptr(), high as u32) }
    }

    /// Sets input `port` from little-endian 64-bit words.
    ///
    /// # Panics
    /// If `port` is not an input of this model or `words` is not exactly as long as the
    /// port needs.
    pub(crate) fn set(&mut self, port: usize, words: &[u64]) {
        let info = &self.ports[port];
        info.check_set(words.len());
        // SAFETY: `handle` is live and exclusively ours (`&mut self`); `port` indexes the
        // shim's table (its length was checked against `ports` in `new`); the shim reads
        // exactly `info.words()` words from the pointer, which `words` provides.
        unsafe { (self.vt.set)(self.handle.as_ptr(), port as u32, words.as_ptr()) }
    }

    /// Reads `port` into little-endian 64-bit words.
    ///
    /// # Panics
    /// If `port` is out of range or `out` is not exactly as long as the port needs.
    pub(crate) fn get(&self, port: usize, out: &mut [u64]) {
        let info = &self.ports[port];
        info.check_get(out.len());
        // SAFETY: `handle` is live; `get` only reads the model (shared access is enough);
        // the shim writes exactly `info.words()` words, which `out` has room for.
        unsafe { (self.vt.get)(self.handle.as_ptr(), port as u32, out.as_mut_ptr()) }
    }

    /// Starts writing a VCD waveform to `path` (closing any earlier one).
    pub(crate) fn trace_open(&mut self, path: &Path) -> Result<(), Error> {
        use std::os::unix::ffi::OsStrExt;
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::TraceOpen {
            path: path.to_path_buf(),
        })?;
        // SAFETY: `handle` is live and exclusively ours; `c_path` is a NUL-terminated
        // string that outlives the call (the shim copies the name).
        let rc = unsafe { (self.vt.trace_open)(self.handle.as_ptr(), c_path.as_ptr()) };
        match rc {
            0 => Ok(()),
            1 => Err(Error::TraceNotBuilt),
            _ => Err(Error::TraceOpen {
                path: path.to_path_buf(),
            }),
        }
    }

    /// Writes buffered waveform data to the file.
    pub(crate) fn trace_flush(&mut self) {
        // SAFETY: as in `eval`; a no-op when no trace is open.
        unsafe { (self.vt.trace_flush)(self.handle.as_ptr()) }
    }

    /// Closes the waveform file, if one is open.
    pub(crate) fn trace_close(&mut self) {
        // SAFETY: as in `eval`; a no-op when no trace is open.
        unsafe { (self.vt.trace_close)(self.handle.as_ptr()) }
    }
}

impl Drop for RawModel {
    fn drop(&mut self) {
        // SAFETY: `handle` came from `create` and is destroyed exactly once, here; nothing
        // can use it afterwards because `self` is being dropped.
        unsafe { (self.vt.destroy)(self.handle.as_ptr()) }
    }
}

include!(concat!(env!("OUT_DIR"), "/ffi_models.rs"));
