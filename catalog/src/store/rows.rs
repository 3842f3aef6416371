//! Rows as diesel reads and writes them, and their conversion to and from
//! the domain. Stored values are validated again on the way out, so a row
//! edited by hand cannot smuggle an invalid value into a response.

use diesel::prelude::*;
use platform::{
    clock::{from_micros, to_micros},
    money::Money,
};

use super::schema::{product_images, products, reservations, stock};
use crate::{
    domain::{
        AltText, Availability, Category, Description, ImageId, Product, ProductId, ProductImage,
        ProductName, Reservation, ReservationId, ReservationStatus, Stock, StockLine, StockLines,
        Version, WeightGrams, image::Format, values::PRICES,
    },
    error::{Error, Result},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub price_minor: i64,
    pub currency: String,
    pub search_text: String,
    pub version: i64,
    pub deleted: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub weight_grams: i32,
}

impl From<&Product> for ProductRow {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            category: p.category.as_str().to_owned(),
            price_minor: p.price.minor(),
            currency: p.price.currency().as_str().to_owned(),
            search_text: p.search_text(),
            version: p.version.0,
            deleted: false,
            created_at: to_micros(p.created_at),
            updated_at: to_micros(p.updated_at),
            weight_grams: p.weight.grams(),
        }
    }
}

/// A product row read with its stock's available units (no images yet).
pub fn product((row, available): (ProductRow, i64)) -> Result<Product> {
    let corrupt = |what: &str| Error::Corrupt(format!("product {}: {what}", row.id));
    Ok(Product {
        id: ProductId::parse(&row.id).map_err(|_| corrupt("id"))?,
        name: ProductName::parse(&row.name).map_err(|_| corrupt("name"))?,
        description: Description::parse(&row.description).map_err(|_| corrupt("description"))?,
        category: Category::parse(&row.category).map_err(|_| corrupt("category"))?,
        price: Money::parse(&row.currency, row.price_minor, PRICES)
            .map_err(|_| corrupt("price"))?,
        weight: WeightGrams::new(row.weight_grams).map_err(|_| corrupt("weight"))?,
        version: Version(row.version),
        created_at: from_micros(row.created_at),
        updated_at: from_micros(row.updated_at),
        availability: Availability::of(available),
        images: Vec::new(),
    })
}

/// Products from their rows (with their stock's available units), each
/// with its images from `images` (rows of any of those products, ordered by
/// position).
pub fn products_with_images(
    rows: Vec<(ProductRow, i64)>,
    images: Vec<ImageRow>,
) -> Result<Vec<Product>> {
    let mut products = rows.into_iter().map(product).collect::<Result<Vec<_>>>()?;
    for row in images {
        let Some(product) = products
            .iter_mut()
            .find(|p| p.id.to_string() == row.product_id)
        else {
            continue;
        };
        product.images.push(row.try_into()?);
    }
    Ok(products)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = product_images)]
pub struct ImageRow {
    pub id: String,
    pub product_id: String,
    pub position: i32,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub size_bytes: i64,
    pub sha256: String,
    pub thumb_content_type: String,
    pub thumb_sha256: String,
    pub alt_text: String,
    pub created_at: i64,
}

impl ImageRow {
    pub fn new(product: ProductId, position: i32, image: &ProductImage) -> Self {
        Self {
            id: image.id.to_string(),
            product_id: product.to_string(),
            position,
            content_type: image.format.content_type().to_owned(),
            width: i32::try_from(image.width).unwrap_or(i32::MAX),
            height: i32::try_from(image.height).unwrap_or(i32::MAX),
            size_bytes: image.size_bytes,
            sha256: image.sha256.clone(),
            thumb_content_type: image.thumb_format.content_type().to_owned(),
            thumb_sha256: image.thumb_sha256.clone(),
            alt_text: image.alt_text.as_str().to_owned(),
            created_at: to_micros(image.created_at),
        }
    }
}

impl TryFrom<ImageRow> for ProductImage {
    type Error = Error;

    fn try_from(row: ImageRow) -> Result<Self> {
        let corrupt = |what: &str| Error::Corrupt(format!("image {}: {what}", row.id));
        Ok(ProductImage {
            id: ImageId::parse(&row.id).map_err(|_| corrupt("id"))?,
            format: Format::from_content_type(&row.content_type)
                .ok_or_else(|| corrupt("content type"))?,
            width: u32::try_from(row.width).map_err(|_| corrupt("width"))?,
            height: u32::try_from(row.height).map_err(|_| corrupt("height"))?,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            thumb_format: Format::from_content_type(&row.thumb_content_type)
                .ok_or_else(|| corrupt("thumbnail content type"))?,
            thumb_sha256: row.thumb_sha256,
            alt_text: AltText::parse(&row.alt_text).map_err(|_| corrupt("alt text"))?,
            created_at: from_micros(row.created_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stock)]
pub struct StockRow {
    pub product_id: String,
    pub available: i64,
    pub reserved: i64,
}

impl TryFrom<StockRow> for Stock {
    type Error = Error;

    fn try_from(row: StockRow) -> Result<Self> {
        Ok(Stock {
            product_id: ProductId::parse(&row.product_id)
                .map_err(|_| Error::Corrupt(format!("stock of {}", row.product_id)))?,
            available: row.available,
            reserved: row.reserved,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reservations)]
pub struct ReservationRow {
    pub id: String,
    pub status: String,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A reservation row and its `(product id, quantity)` lines.
pub fn reservation(row: ReservationRow, lines: Vec<(String, i64)>) -> Result<Reservation> {
    let corrupt = |what: &str| Error::Corrupt(format!("reservation {}: {what}", row.id));
    let lines = lines
        .into_iter()
        .map(|(product_id, quantity)| {
            Ok(StockLine {
                product_id: ProductId::parse(&product_id).map_err(|_| corrupt("line"))?,
                quantity,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Reservation {
        id: ReservationId::parse(&row.id).map_err(|_| corrupt("id"))?,
        lines: StockLines::from_stored(lines),
        status: ReservationStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        expires_at: from_micros(row.expires_at),
        created_at: from_micros(row.created_at),
        updated_at: from_micros(row.updated_at),
    })
}
