use super::*;

#[test]
fn round_trips_through_the_contract_frame() {
    let mut f = Frame::new(FrameType::Rsp, 1, 2);
    f.value = u64::MAX;
    f.count = 17;
    f.tag = 0xABCD;
    f.epoch = 9;
    assert_eq!(FrameFields::from(f).to_frame(), Some(f));
    assert_eq!(<FrameFields as Synth>::BITS, 312);
}
