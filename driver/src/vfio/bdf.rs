//! PCI addresses as sysfs spells them: `dddd:bb:dd.f` (domain, bus, device, function).

use crate::error::{Error, Result};

/// Checks that `bdf` is a full PCI address (`0000:03:00.0`: 4, 2 and 2 hex digits, a
/// device number up to 0x1f and a function up to 7) and returns it in lowercase, the
/// spelling of `/sys/bus/pci/devices` and of `VFIO_GROUP_GET_DEVICE_FD`.
///
/// Checked before anything is looked up, so that a typo reads as a typo rather than as
/// a missing device, and so that no path is ever built from something else.
pub fn parse(bdf: &str) -> Result<String> {
    let bad = || Error::BadPciAddress {
        bdf: bdf.to_string(),
    };
    let (domain, rest) = bdf.split_once(':').ok_or_else(bad)?;
    let (bus, rest) = rest.split_once(':').ok_or_else(bad)?;
    let (device, function) = rest.split_once('.').ok_or_else(bad)?;
    let fields = [
        (domain, 4, 0xffff),
        (bus, 2, 0xff),
        (device, 2, 0x1f),
        (function, 1, 7),
    ];
    if fields
        .iter()
        .all(|&(field, digits, max)| hex_field(field, digits, max))
    {
        Ok(bdf.to_ascii_lowercase())
    } else {
        Err(bad())
    }
}

/// `field` is exactly `digits` hex digits with a value up to `max`.
fn hex_field(field: &str, digits: usize, max: u32) -> bool {
    field.len() == digits
        && field.bytes().all(|b| b.is_ascii_hexdigit())
        && u32::from_str_radix(field, 16).is_ok_and(|v| v <= max)
}
