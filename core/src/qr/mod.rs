//! Frames as text for optical and link channels: a payment request as a URI
//! (`offlinecash:R…`, or `offlinecash:C…` naming the payee's certificate by id), and any
//! frame (request, payment, receipt) as a multipart, fountain-coded sequence of parts that an
//! animated QR code shows one by one.
//!
//! ```text
//!  request frame ──uri::request_uri──► "offlinecash:R<BASE32>" ──► one QR code / NDEF / deep link
//!  compact request frame ──request_uri──► "offlinecash:C<BASE32>" (fits one code in every suite)
//!  any frame ──PartEncoder──► "offlinecash:P<BASE32>" × ∞ ──(any order, some lost)──► PartDecoder ──► frame
//! ```
//!
//! Contract: this module only turns bytes into text and back; it never looks inside a payment
//! and never verifies a signature (the payer and payee engines do, on the frame that comes out).
//! Every parse failure is a [`QrError`]; no input makes it panic, and the decoder's memory is
//! bounded by [`MAX_MESSAGE_BYTES`] and [`fountain::MAX_FRAGMENTS`]. Rendering pixels is the
//! caller's business (the CLI uses the `qrcode` crate). Text is case-insensitive on input and
//! emitted with an upper-case payload so that QR codes use the alphanumeric mode.

mod coefficients;
mod error;
pub mod fountain;
mod gf256;
mod matrix;
mod part;
mod splitmix;
mod text;
mod uri;

pub use error::QrError;
pub use fountain::{FountainDecoder, FountainEncoder};
pub use part::{Part, PartDecoder, PartEncoder, parse_part};
pub use splitmix::SplitMix64;
pub use uri::{SCHEME, request_frame_from_uri, request_uri};

/// Largest message a multipart sequence carries (a frame of the largest bundle).
pub const MAX_MESSAGE_BYTES: usize = crate::protocol::MAX_FRAME_BYTES;
