//! Node id <-> Ethernet MAC address.
//!
//! Every card's fabric ports use a locally administered unicast address
//! (IEEE 802 bit 1 of the first octet set) `02:53:46:51:00:<id>`: "SFQ" in the middle so
//! a capture shows seqfab traffic at a glance, and the node id in the last octet so a
//! switch's address table maps straight to nodes. Heartbeats go to the broadcast address.

use crate::limits::MAX_NODES;

/// First five octets shared by every seqfab node address.
pub const MAC_PREFIX: [u8; 5] = [0x02, 0x53, 0x46, 0x51, 0x00];
/// Node id used in frames addressed to every node (heartbeats).
pub const BROADCAST_NODE: u8 = 0xFF;
/// The Ethernet broadcast address, used for [`BROADCAST_NODE`].
pub const BROADCAST_MAC: [u8; 6] = [0xFF; 6];

/// The MAC address of node `id` (or broadcast for [`BROADCAST_NODE`]).
pub fn node_mac(id: u8) -> [u8; 6] {
    if id == BROADCAST_NODE {
        return BROADCAST_MAC;
    }
    let mut mac = [0u8; 6];
    mac[..5].copy_from_slice(&MAC_PREFIX);
    mac[5] = id;
    mac
}

/// The node id a MAC address belongs to, or `None` for an address that is not a seqfab
/// node's (another prefix, or an id at or above [`MAX_NODES`]).
pub fn mac_node(mac: [u8; 6]) -> Option<u8> {
    if mac == BROADCAST_MAC {
        return Some(BROADCAST_NODE);
    }
    (mac[..5] == MAC_PREFIX && (mac[5] as usize) < MAX_NODES).then_some(mac[5])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_node_and_broadcast() {
        for id in (0..MAX_NODES as u8).chain([BROADCAST_NODE]) {
            assert_eq!(mac_node(node_mac(id)), Some(id));
        }
        assert_eq!(node_mac(3), [0x02, 0x53, 0x46, 0x51, 0x00, 0x03]);
    }

    #[test]
    fn foreign_addresses_are_not_nodes() {
        assert_eq!(mac_node([0x02, 0x53, 0x46, 0x51, 0x00, 64]), None);
        assert_eq!(mac_node([0x00, 0x11, 0x22, 0x33, 0x44, 0x01]), None);
        // The locally administered bit is what makes these ours to assign.
        assert_eq!(node_mac(0)[0] & 0x02, 0x02);
    }
}
