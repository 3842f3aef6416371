//! Product images: their limits, what is kept about one, and the CPU work
//! of an upload (reading the type from the bytes, decoding within bounds,
//! making the grid-sized copy). The work is plain functions on bytes; the
//! API runs them off the async runtime.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits, codecs::jpeg::JpegEncoder};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use platform::values::{hex, text};

/// Largest upload, in bytes (4 MiB); checked before anything is decoded.
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// Widest and tallest image accepted, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 8000;
/// Most images one product has.
pub const MAX_IMAGES_PER_PRODUCT: usize = 8;
/// Longest side of the grid-sized copy, in pixels.
pub const THUMB_SIDE: u32 = 480;
/// Quality of the JPEG grid copies: small, and still sharp at grid size.
const THUMB_JPEG_QUALITY: u8 = 82;
/// Most bytes the decoder may allocate: one 8000 x 8000 picture at four
/// bytes a pixel. A file that claims more (a decompression bomb: a few
/// bytes declaring a huge picture) is refused before the pixels are made.
const MAX_DECODE_ALLOC: u64 = 8000 * 8000 * 4;

platform::uuid_value!(
    /// An image's id: a UUID, printed in its canonical hyphenated form.
    pub ImageId, "an image id"
);
platform::string_value!(
    /// Text for screen readers: up to 200 characters.
    pub AltText, |raw| text(raw, 0, 200, false)
);

/// The picture formats the catalog takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }

    /// The format a stored content type names.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        [Format::Jpeg, Format::Png, Format::Webp]
            .into_iter()
            .find(|f| f.content_type() == content_type)
    }

    fn decoder_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::Webp => ImageFormat::WebP,
        }
    }
}

/// Which copy of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSize {
    Full,
    Thumb,
}

/// An image as the catalog keeps it (its bytes are in the blob store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductImage {
    pub id: ImageId,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub size_bytes: i64,
    /// SHA-256 of the full-size bytes, hex.
    pub sha256: String,
    pub thumb_format: Format,
    /// SHA-256 of the grid-sized copy, hex.
    pub thumb_sha256: String,
    pub alt_text: AltText,
    pub created_at: OffsetDateTime,
}

impl ProductImage {
    /// The blob store's key of one copy.
    pub fn blob_key(id: ImageId, size: ImageSize) -> String {
        match size {
            ImageSize::Full => format!("{id}"),
            ImageSize::Thumb => format!("{id}.thumb"),
        }
    }
}

/// An upload, checked and with its grid copy made, ready to store.
#[derive(Debug, Clone)]
pub struct ProcessedImage {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
    pub full: Vec<u8>,
    pub thumb_format: Format,
    pub thumb_sha256: String,
    pub thumb: Vec<u8>,
}

impl ProcessedImage {
    /// What the catalog keeps about it, as image `id` added at `now`.
    pub fn describe(&self, id: ImageId, alt_text: AltText, now: OffsetDateTime) -> ProductImage {
        ProductImage {
            id,
            format: self.format,
            width: self.width,
            height: self.height,
            size_bytes: i64::try_from(self.full.len()).unwrap_or(i64::MAX),
            sha256: self.sha256.clone(),
            thumb_format: self.thumb_format,
            thumb_sha256: self.thumb_sha256.clone(),
            alt_text,
            created_at: now,
        }
    }
}

/// Why an upload is refused; each is a description of the `content` field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("must be at most {MAX_IMAGE_BYTES} bytes (4 MiB), not {0}")]
    TooLarge(usize),
    #[error("must not be empty")]
    Empty,
    #[error("must be a JPEG, PNG or WebP image")]
    UnknownFormat,
    #[error("must be at most {MAX_IMAGE_SIDE} x {MAX_IMAGE_SIDE} pixels, not {0} x {1}")]
    TooManyPixels(u32, u32),
    #[error("is not a readable {0} image")]
    Unreadable(&'static str),
    #[error("could not be made into a grid-sized copy")]
    Thumbnail,
}

/// Only the size: what can be refused before any decoding.
pub fn check_size(len: usize) -> Result<(), ImageError> {
    if len == 0 {
        return Err(ImageError::Empty);
    }
    if len > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge(len));
    }
    Ok(())
}

/// The format the bytes are in, by their signature.
pub fn sniff(bytes: &[u8]) -> Result<Format, ImageError> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(Format::Jpeg),
        Ok(ImageFormat::Png) => Ok(Format::Png),
        Ok(ImageFormat::WebP) => Ok(Format::Webp),
        _ => Err(ImageError::UnknownFormat),
    }
}

/// Checks an upload and makes its grid copy: size, format from the bytes,
/// declared dimensions, then a decode bounded by the decoder's limits.
/// CPU-heavy (up to a few hundred milliseconds): run it off the runtime.
pub fn process(bytes: Vec<u8>) -> Result<ProcessedImage, ImageError> {
    check_size(bytes.len())?;
    let format = sniff(&bytes)?;
    let unreadable = || ImageError::Unreadable(format.content_type());
    let reader =
        || ImageReader::with_format(Cursor::new(bytes.as_slice()), format.decoder_format());
    // The header first: a picture declaring too many pixels is named so,
    // before the decoder is asked to make them.
    let (width, height) = reader().into_dimensions().map_err(|_| unreadable())?;
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(ImageError::TooManyPixels(width, height));
    }
    if width == 0 || height == 0 {
        return Err(unreadable());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut decoder = reader();
    decoder.limits(limits);
    let picture = decoder.decode().map_err(|_| unreadable())?;
    let (thumb_format, thumb) = grid_copy(&picture)?;
    Ok(ProcessedImage {
        format,
        width,
        height,
        sha256: sha256_hex(&bytes),
        full: bytes,
        thumb_format,
        thumb_sha256: sha256_hex(&thumb),
        thumb,
    })
}

/// The grid-sized copy: at most [`THUMB_SIDE`] on its longer side, as a
/// PNG when the picture has transparency (JPEG has none), else a JPEG.
fn grid_copy(picture: &DynamicImage) -> Result<(Format, Vec<u8>), ImageError> {
    let small = if picture.width() > THUMB_SIDE || picture.height() > THUMB_SIDE {
        picture.thumbnail(THUMB_SIDE, THUMB_SIDE)
    } else {
        picture.clone()
    };
    let mut out = Vec::new();
    if small.color().has_alpha() {
        small
            .to_rgba8()
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|_| ImageError::Thumbnail)?;
        Ok((Format::Png, out))
    } else {
        JpegEncoder::new_with_quality(&mut out, THUMB_JPEG_QUALITY)
            .encode_image(&small.to_rgb8())
            .map_err(|_| ImageError::Thumbnail)?;
        Ok((Format::Jpeg, out))
    }
}

/// SHA-256 of `bytes`, hex: the images' ETags.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Checks a new order of a product's images: each of `current` exactly
/// once. Returns the description of what is wrong.
pub fn check_order(current: &[ImageId], asked: &[ImageId]) -> Result<(), String> {
    for (i, id) in asked.iter().enumerate() {
        if asked[..i].contains(id) {
            return Err(format!("names image {id} twice"));
        }
        if !current.contains(id) {
            return Err(format!(
                "names image {id}, which is not one of the product's"
            ));
        }
    }
    if asked.len() != current.len() {
        return Err(format!(
            "must name each of the product's {} images once, not {}",
            current.len(),
            asked.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let picture = if alpha {
            DynamicImage::new_rgba8(width, height)
        } else {
            DynamicImage::new_rgb8(width, height)
        };
        let mut out = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("encode");
        out
    }

    #[test]
    fn a_large_picture_gets_a_grid_copy_of_at_most_480_pixels() {
        let processed = process(png(1200, 600, false)).expect("valid");
        assert_eq!((processed.width, processed.height), (1200, 600));
        assert_eq!(processed.format, Format::Png);
        assert_eq!(processed.thumb_format, Format::Jpeg, "no alpha: JPEG");
        let thumb = image::load_from_memory(&processed.thumb).expect("thumb decodes");
        assert_eq!((thumb.width(), thumb.height()), (480, 240));
    }

    #[test]
    fn a_transparent_picture_keeps_its_transparency_in_a_png_copy() {
        let processed = process(png(10, 20, true)).expect("valid");
        assert_eq!(processed.thumb_format, Format::Png);
        assert_eq!(sniff(&processed.thumb), Ok(Format::Png));
    }

    #[test]
    fn the_order_must_name_every_image_once() {
        let (a, b) = (ImageId::generate(), ImageId::generate());
        assert!(check_order(&[a, b], &[b, a]).is_ok());
        assert!(check_order(&[a, b], &[a]).is_err());
        assert!(check_order(&[a, b], &[a, a]).is_err());
        assert!(check_order(&[a, b], &[a, b, ImageId::generate()]).is_err());
        assert!(check_order(&[], &[]).is_ok());
    }

    #[test]
    fn sizes_are_checked_before_anything_else() {
        assert_eq!(check_size(0), Err(ImageError::Empty));
        assert!(check_size(MAX_IMAGE_BYTES).is_ok());
        assert_eq!(
            process(vec![0; MAX_IMAGE_BYTES + 1]).err(),
            Some(ImageError::TooLarge(MAX_IMAGE_BYTES + 1))
        );
    }
}
