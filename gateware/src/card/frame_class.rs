//! Which block of the card acts on a frame kind.

use crate::frame::type_code;
use rust_hdl::prelude::*;
use seqfab_contract::frame::FrameType;

/// Which consumer a frame kind belongs to (combinational helper outputs).
#[derive(LogicBlock)]
pub struct FrameClass {
    /// The frame kind to classify.
    pub kind: Signal<In, Bits<8>>,
    /// REQ, FWD, CONFIG or STATE_QUERY: for the sequence engine.
    pub engine: Signal<Out, bool>,
    /// RSP or NACK: for the originator.
    pub originator: Signal<Out, bool>,
    /// CONFIG_ACK or STATE_REPLY: for the management window.
    pub mgmt: Signal<Out, bool>,
    /// HEARTBEAT: for liveness.
    pub heartbeat: Signal<Out, bool>,
    k_req: Constant<Bits<8>>,
    k_fwd: Constant<Bits<8>>,
    k_config: Constant<Bits<8>>,
    k_query: Constant<Bits<8>>,
    k_rsp: Constant<Bits<8>>,
    k_nack: Constant<Bits<8>>,
    k_ack: Constant<Bits<8>>,
    k_reply: Constant<Bits<8>>,
    k_hb: Constant<Bits<8>>,
}

impl Default for FrameClass {
    fn default() -> Self {
        FrameClass {
            kind: Default::default(),
            engine: Default::default(),
            originator: Default::default(),
            mgmt: Default::default(),
            heartbeat: Default::default(),
            k_req: type_code(FrameType::Req),
            k_fwd: type_code(FrameType::Fwd),
            k_config: type_code(FrameType::Config),
            k_query: type_code(FrameType::StateQuery),
            k_rsp: type_code(FrameType::Rsp),
            k_nack: type_code(FrameType::Nack),
            k_ack: type_code(FrameType::ConfigAck),
            k_reply: type_code(FrameType::StateReply),
            k_hb: type_code(FrameType::Heartbeat),
        }
    }
}

impl Logic for FrameClass {
    #[hdl_gen]
    fn update(&mut self) {
        self.engine.next = (self.kind.val() == self.k_req.val())
            | (self.kind.val() == self.k_fwd.val())
            | (self.kind.val() == self.k_config.val())
            | (self.kind.val() == self.k_query.val());
        self.originator.next =
            (self.kind.val() == self.k_rsp.val()) | (self.kind.val() == self.k_nack.val());
        self.mgmt.next =
            (self.kind.val() == self.k_ack.val()) | (self.kind.val() == self.k_reply.val());
        self.heartbeat.next = self.kind.val() == self.k_hb.val();
    }
}
