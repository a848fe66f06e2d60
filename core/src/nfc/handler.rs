//! The seam between the transport and the protocol above it: [`FrameHandler`].
//!
//! ```text
//!  CardSession ──complete command frame──► FrameHandler::handle_frame ──► response frame
//!              ◄── Err(FrameError) ─────── (mapped to a status word, see below)
//! ```
//!
//! The card session calls the handler once per complete frame the reader sent (after
//! reassembling a chain) and never for a partial one. A handler is told when a session
//! starts ([`FrameHandler::selected`]) and when it ends ([`FrameHandler::deactivated`]); a
//! response frame it returned may be lost in a tear, so the protocol must answer a repeated
//! frame idempotently. The transport never looks inside frames.

use super::status::StatusWord;

/// Why the handler refused a frame. Each variant is sent to the reader as one status word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The protocol refused the frame with its own code, sent as `9Axx` (xx = `code`).
    /// The codes belong to the protocol; the transport only carries them.
    #[error("frame rejected by the protocol with code {code:#04x}")]
    Rejected { code: u8 },
    /// The handler was not expecting a frame now: `6985`.
    #[error("frame not expected in the handler's current state")]
    OutOfOrder,
    /// The frame is not a well-formed protocol message: `6A80`.
    #[error("malformed frame")]
    Malformed,
    /// The handler failed for a reason of its own (storage, crypto backend): `6F00`.
    #[error("internal failure of the frame handler")]
    Internal,
}

impl FrameError {
    /// The status word the card answers for this error.
    pub fn status(self) -> StatusWord {
        match self {
            Self::Rejected { code } => StatusWord::rejected(code),
            Self::OutOfOrder => StatusWord::OUT_OF_ORDER,
            Self::Malformed => StatusWord::WRONG_DATA,
            Self::Internal => StatusWord::INTERNAL,
        }
    }
}

/// Why a card session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deactivation {
    /// The field was lost (the phones moved apart, a tear): Android
    /// `HostApduService.DEACTIVATION_LINK_LOSS`, iOS session invalidation.
    LinkLost,
    /// The reader selected another application: Android `DEACTIVATION_DESELECTED`.
    Deselected,
    /// The reader selected this application again while a session was active.
    Reselected,
}

/// The protocol's side of a card session. Implemented by the protocol layer (or a test).
pub trait FrameHandler {
    /// Handles one complete frame from the reader and returns the response frame (possibly
    /// empty, possibly large: the card session splits it for GET RESPONSE).
    fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError>;

    /// A session started: the reader selected this application. Default: nothing.
    fn selected(&mut self) {}

    /// The session ended for `reason`; a response being fetched may not have arrived.
    /// Default: nothing.
    fn deactivated(&mut self, reason: Deactivation) {
        let _ = reason;
    }
}

impl<T: FrameHandler + ?Sized> FrameHandler for Box<T> {
    fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError> {
        (**self).handle_frame(frame)
    }
    fn selected(&mut self) {
        (**self).selected();
    }
    fn deactivated(&mut self, reason: Deactivation) {
        (**self).deactivated(reason);
    }
}

impl<T: FrameHandler + ?Sized> FrameHandler for &mut T {
    fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError> {
        (**self).handle_frame(frame)
    }
    fn selected(&mut self) {
        (**self).selected();
    }
    fn deactivated(&mut self, reason: Deactivation) {
        (**self).deactivated(reason);
    }
}
