//! `offline-cash qr show | scan`: any frame file (a request, a payment, a receipt) as QR codes,
//! in the terminal and as PNG files, and back from PNG files with a real QR decoder (`rqrr`).
//!
//! ```text
//!  request.bin ─┬─ its URI fits one code ──► "offlinecash:R…" (or "C…", compact) ──► qr-0001.png
//!  payment.bin ─┴─ otherwise ──► core::qr::PartEncoder ──► "offlinecash:P…" × k ──► qr-0001.png … qr-000k.png
//!  PNGs (any order, some missing) ──► rqrr ──► core::qr (URI or PartDecoder) ──► frame file ──► wallet pay|accept|complete
//! ```
//!
//! Contract: this is the file transport of `files.rs` with QR images in between; the frames
//! are the same bytes and go through the same `wallet pay | accept | complete` commands.
//! Nothing here reads a frame's content beyond its type. A PNG holds one QR code (the first
//! code found is used); a code that is not ours is reported and skipped.

use std::path::{Path, PathBuf};

use offline_cash_core::protocol::Frame;
use offline_cash_core::qr::{PartDecoder, PartEncoder, request_frame_from_uri, request_uri};
use qrcode::{EcLevel, QrCode};

use crate::CliError;

/// Pixels per QR module in the PNGs.
const SCALE: usize = 4;
/// Quiet zone around a code, in modules (the standard asks for 4).
const QUIET: usize = 4;
/// Default payload bytes per part of an animated code (about version 19 at level M).
pub const DEFAULT_FRAGMENT: usize = 400;

/// `offline-cash qr show` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ShowArgs {
    /// The frame file (request, payment or receipt).
    #[arg(long = "in")]
    pub input: PathBuf,
    /// Write the codes as DIR/qr-0001.png, DIR/qr-0002.png, …
    #[arg(long)]
    pub png_dir: Option<PathBuf>,
    /// Print the codes in the terminal.
    #[arg(long)]
    pub terminal: bool,
    /// Payload bytes per part of an animated code.
    #[arg(long, default_value_t = DEFAULT_FRAGMENT)]
    pub fragment_bytes: usize,
    /// How many parts of an animated code to emit (default: twice the fewest that can rebuild it,
    /// enough when a quarter of them is lost).
    #[arg(long)]
    pub parts: Option<u32>,
}

/// The texts to show for a frame: the request URI alone if the frame is a request whose URI
/// fits one code at level M, or a compact request whose URI fits one code at level L (it
/// exists to be one code: an ML-DSA-44 one needs L), else the parts of an animated code.
pub fn texts_for(frame: &[u8], fragment_bytes: usize, parts: Option<u32>) -> Result<Vec<String>, CliError> {
    let level = match Frame::decode(frame) {
        Ok(Frame::Request(_)) => Some(EcLevel::M),
        Ok(Frame::CompactRequest(_)) => Some(EcLevel::L),
        _ => None,
    };
    if let Some(level) = level {
        let uri = request_uri(frame).map_err(|e| CliError::input(format!("request: {e}")))?;
        if QrCode::with_error_correction_level(uri.as_bytes(), level).is_ok() {
            return Ok(vec![uri]);
        }
    }
    let encoder = PartEncoder::new(frame, fragment_bytes).map_err(|e| CliError::input(format!("frame: {e}")))?;
    let n = u32::try_from(encoder.fragments()).unwrap_or(u32::MAX);
    let count = parts.unwrap_or_else(|| n.saturating_mul(2));
    Ok((1..=count.max(1)).map(|seq| encoder.part_text(seq)).collect())
}

/// The QR code of one text, at level M (L if M does not fit).
pub fn code(text: &str) -> Result<QrCode, CliError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L))
        .map_err(|e| CliError::input(format!("{} characters do not fit one QR code: {e}", text.len())))
}

/// A code as an 8-bit greyscale image: width, pixels (0 dark, 255 light).
pub fn raster(code: &QrCode) -> (usize, Vec<u8>) {
    let modules = code.width();
    let side = (modules + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * SCALE..(my + 1) * SCALE {
            if let Some(row) = pixels.get_mut(y * side + mx * SCALE..y * side + (mx + 1) * SCALE) {
                row.fill(0);
            }
        }
    }
    (side, pixels)
}

/// Writes a code as a PNG.
pub fn write_png(code: &QrCode, path: &Path) -> Result<(), CliError> {
    let (side, pixels) = raster(code);
    let file = std::fs::File::create(path).map_err(|e| CliError::io(path, e))?;
    let side32 = u32::try_from(side).map_err(|_| CliError::input("image too large"))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let png_error = |e: png::EncodingError| CliError::input(format!("{}: {e}", path.display()));
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)
}

/// The text of the first QR code found in a PNG file (greyscale, RGB or RGBA; 8 bits).
pub fn read_png(path: &Path) -> Result<String, CliError> {
    let bad = |what: String| CliError::input(format!("{}: {what}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| CliError::io(path, e))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| bad(e.to_string()))?;
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| bad(e.to_string()))?;
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let luma = |x: usize, y: usize| -> u8 {
        let at = y * info.line_size + x * channels;
        match buf.get(at..at + channels.min(3)) {
            Some([g]) | Some([g, _]) => *g,
            Some([r, g, b]) => ((u16::from(*r) + u16::from(*g) + u16::from(*b)) / 3) as u8,
            _ => 255,
        }
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, luma);
    let grids = image.detect_grids();
    let grid = grids.first().ok_or_else(|| bad("no QR code found".into()))?;
    let (_, text) = grid.decode().map_err(|e| bad(format!("QR code unreadable: {e}")))?;
    Ok(text)
}

/// `qr show`: prints and/or writes the codes of a frame file. Returns the texts shown.
pub fn show(args: &ShowArgs) -> Result<Vec<String>, CliError> {
    let frame = std::fs::read(&args.input).map_err(|e| CliError::io(&args.input, e))?;
    let texts = texts_for(&frame, args.fragment_bytes, args.parts)?;
    if let Some(dir) = &args.png_dir {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    }
    let mut first_version = None;
    for (i, text) in texts.iter().enumerate() {
        let code = code(text)?;
        first_version.get_or_insert((code.version(), code.error_correction_level(), code.width()));
        if args.terminal {
            println!("code {} of {}:", i + 1, texts.len());
            let art = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .quiet_zone(true)
                .build();
            println!("{art}");
        }
        if let Some(dir) = &args.png_dir {
            write_png(&code, &dir.join(format!("qr-{:04}.png", i + 1)))?;
        }
    }
    let kind = if texts.len() == 1 && texts.first().is_some_and(|t| t.starts_with("offlinecash:R")) {
        "one code (request URI)".to_owned()
    } else if texts.len() == 1 && texts.first().is_some_and(|t| t.starts_with("offlinecash:C")) {
        "one code (compact request URI)".to_owned()
    } else {
        format!("{} animated parts", texts.len())
    };
    if let Some((version, level, width)) = first_version {
        println!(
            "{}: {} B as {kind}; QR {version:?} level {level:?} ({width}×{width} modules){}",
            args.input.display(),
            frame.len(),
            args.png_dir.as_ref().map_or_else(String::new, |d| format!("; PNGs in {}", d.display()))
        );
    }
    Ok(texts)
}

/// What `qr scan` rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    /// The frame.
    pub frame: Vec<u8>,
    /// Codes read before the frame was whole.
    pub codes_read: usize,
    /// The fewest codes that could have rebuilt it (1 for a request URI).
    pub minimum: usize,
}

/// Takes scanned texts one by one until a frame is whole: a request URI at once, parts
/// until rebuilt. Codes that are not ours are counted and skipped.
#[derive(Debug, Default)]
pub struct Assembler {
    parts: PartDecoder,
    read: usize,
}

impl Assembler {
    /// An empty assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// One scanned text; the frame once it is whole.
    pub fn push(&mut self, text: &str) -> Option<Scanned> {
        self.read += 1;
        if let Ok(frame) = request_frame_from_uri(text) {
            return Some(Scanned { frame, codes_read: self.read, minimum: 1 });
        }
        match self.parts.receive(text) {
            Ok(true) => Some(Scanned {
                frame: self.parts.message().map(<[u8]>::to_vec).unwrap_or_default(),
                codes_read: self.read,
                minimum: self.parts.progress().1,
            }),
            Ok(false) => None,
            Err(e) => {
                eprintln!("skipped a code: {e}");
                None
            }
        }
    }

    /// Why no frame is whole yet.
    pub fn missing(&self) -> CliError {
        let (have, need) = self.parts.progress();
        CliError::input(format!("not enough codes: {have} independent parts of {need} needed"))
    }
}

/// `qr scan`: reads PNGs in the order given until a frame is whole; writes it to `out`.
pub fn scan(pngs: &[PathBuf], out: &Path) -> Result<Scanned, CliError> {
    let mut assembler = Assembler::new();
    let mut scanned = None;
    for png in pngs {
        if let Some(s) = assembler.push(&read_png(png)?) {
            scanned = Some(s);
            break;
        }
    }
    let scanned = scanned.ok_or_else(|| assembler.missing())?;
    std::fs::write(out, &scanned.frame).map_err(|e| CliError::io(out, e))?;
    println!(
        "rebuilt a {} B frame from {} code(s) read (at least {} needed); written to {}",
        scanned.frame.len(),
        scanned.codes_read,
        scanned.minimum,
        out.display()
    );
    Ok(scanned)
}
