use super::*;

#[test]
fn layouts_match_the_contract() {
    check_layouts();
    let q = QueueStatusWord::default();
    assert_eq!(q.get_my_offset_full(), 16);
    assert_eq!(q.get_my_offset_produced(), 32);
    let h = MgmtHeaderWord::default();
    assert_eq!((h.get_my_offset_node(), h.get_my_offset_reason()), (8, 16));
    assert_eq!(h.get_my_offset_epoch(), 32);
    assert_eq!(MgmtCountWord::default().get_my_offset_tag(), 32);
}
