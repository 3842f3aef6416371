//! Validation at the edge: `TryFrom` from request messages to domain values
//! (reporting every invalid field by its path), and `From` from domain
//! values to response messages.

use contracts::{catalog as proto, common::Money as MoneyMessage, timestamp};
pub use platform::error::Violations;
use platform::{error::FieldViolation, money::Money};

use crate::{
    domain::{
        Availability, Category, Description, InitialStock, NewProduct, Product, ProductImage,
        ProductName, ProductPatch, Reservation, ReservationStatus, Stock, StockLines, WeightGrams,
        inventory::LineError, values::PRICES,
    },
    error::Error,
};

/// A price at `field` (e.g. `product.price`).
pub fn price(v: &mut Violations, field: &str, money: Option<&MoneyMessage>) -> Option<Money> {
    Money::from_message(v, field, money, PRICES)
}

impl TryFrom<proto::CreateProductRequest> for NewProduct {
    type Error = Error;

    fn try_from(request: proto::CreateProductRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let Some(product) = request.product else {
            return Err(Error::invalid("product", "is required"));
        };
        let name = v.check("product.name", ProductName::parse(&product.name));
        let description = v.check(
            "product.description",
            Description::parse(&product.description),
        );
        let category = v.check("product.category", Category::parse(&product.category));
        let price = price(&mut v, "product.price", product.price.as_ref());
        let weight = v.check(
            "product.weight_grams",
            WeightGrams::new(product.weight_grams),
        );
        let initial_stock = v.check("initial_stock", InitialStock::new(request.initial_stock));
        Ok(v.finish(|| {
            Some(NewProduct {
                name: name?,
                description: description?,
                category: category?,
                price: price?,
                weight: weight?,
                initial_stock: initial_stock?,
            })
        })?)
    }
}

/// A path the client sent, as it is quoted back: cut after a few dozen
/// characters, so the error answer stays small whatever was sent.
fn quoted(path: &str) -> String {
    const SHOWN: usize = 40;
    match path.char_indices().nth(SHOWN) {
        None => format!("{path:?}"),
        Some((cut, _)) => format!("{:?}...", &path[..cut]),
    }
}

/// The fields of `product` named by `paths` ("*" names all of them).
pub fn patch(product: &proto::Product, paths: &[String]) -> Result<ProductPatch, Error> {
    let mut v = Violations::default();
    if paths.is_empty() {
        v.add(
            "update_mask",
            "must name the fields to change: name, description, category, price or weight_grams",
        );
    }
    let everything = paths.iter().any(|p| p == "*");
    let mut patch = ProductPatch::default();
    for (i, path) in paths.iter().enumerate() {
        match path.as_str() {
            "*" if paths.len() == 1 => {}
            "name" | "description" | "category" | "price" | "weight_grams" if !everything => {}
            "*" => v.add(
                format!("update_mask.paths[{i}]"),
                "\"*\" must be the only path",
            ),
            other => v.add(
                format!("update_mask.paths[{i}]"),
                format!(
                    "{} is not an updatable field (name, description, category, price, weight_grams)",
                    quoted(other)
                ),
            ),
        }
    }
    let named = |field: &str| everything || paths.iter().any(|p| p == field);
    if named("name") {
        patch.name = v.check("product.name", ProductName::parse(&product.name));
    }
    if named("description") {
        patch.description = v.check(
            "product.description",
            Description::parse(&product.description),
        );
    }
    if named("category") {
        patch.category = v.check("product.category", Category::parse(&product.category));
    }
    if named("price") {
        patch.price = price(&mut v, "product.price", product.price.as_ref());
    }
    if named("weight_grams") {
        patch.weight = v.check(
            "product.weight_grams",
            WeightGrams::new(product.weight_grams),
        );
    }
    Ok(v.finish(|| Some(patch))?)
}

/// Reservation lines from a request, with every bad line named.
pub fn stock_lines(lines: &[proto::StockLine]) -> Result<StockLines, Error> {
    StockLines::parse(lines.iter().map(|l| (l.product_id.as_str(), l.quantity))).map_err(|errors| {
        Error::InvalidArgument(
            errors
                .into_iter()
                .map(|e| match e {
                    LineError::Lines(d) => FieldViolation::new("lines", d),
                    LineError::ProductId(i, d) => {
                        FieldViolation::new(format!("lines[{i}].product_id"), d)
                    }
                    LineError::Quantity(i, d) => {
                        FieldViolation::new(format!("lines[{i}].quantity"), d)
                    }
                })
                .collect(),
        )
    })
}

impl From<&Product> for proto::Product {
    fn from(p: &Product) -> Self {
        proto::Product {
            id: p.id.to_string(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            category: p.category.as_str().to_owned(),
            price: Some(p.price.into()),
            etag: p.version.etag(),
            weight_grams: p.weight.grams(),
            create_time: Some(timestamp::from_datetime(p.created_at)),
            update_time: Some(timestamp::from_datetime(p.updated_at)),
            images: p.images.iter().map(proto::ProductImage::from).collect(),
            availability: Some(availability(p.availability)),
        }
    }
}

fn availability(availability: Availability) -> proto::Availability {
    let (status, units_left) = match availability {
        Availability::InStock => (proto::AvailabilityStatus::InStock, 0),
        Availability::LowStock { units_left } => (proto::AvailabilityStatus::LowStock, units_left),
        Availability::OutOfStock => (proto::AvailabilityStatus::OutOfStock, 0),
    };
    proto::Availability {
        status: status.into(),
        units_left,
    }
}

impl From<&ProductImage> for proto::ProductImage {
    fn from(i: &ProductImage) -> Self {
        proto::ProductImage {
            id: i.id.to_string(),
            content_type: i.format.content_type().to_owned(),
            width: i32::try_from(i.width).unwrap_or(i32::MAX),
            height: i32::try_from(i.height).unwrap_or(i32::MAX),
            size_bytes: i.size_bytes,
            url: format!("/images/{}", i.id),
            thumbnail_url: format!("/images/{}?size=thumb", i.id),
            alt_text: i.alt_text.as_str().to_owned(),
            create_time: Some(timestamp::from_datetime(i.created_at)),
        }
    }
}

impl From<&Reservation> for proto::Reservation {
    fn from(r: &Reservation) -> Self {
        let status = match r.status {
            ReservationStatus::Held => proto::ReservationStatus::Held,
            ReservationStatus::Committed => proto::ReservationStatus::Committed,
            ReservationStatus::Released => proto::ReservationStatus::Released,
        };
        proto::Reservation {
            id: r.id.as_str().to_owned(),
            lines: r
                .lines
                .iter()
                .map(|l| proto::StockLine {
                    product_id: l.product_id.to_string(),
                    quantity: l.quantity,
                })
                .collect(),
            status: status.into(),
            expire_time: Some(timestamp::from_datetime(r.expires_at)),
            create_time: Some(timestamp::from_datetime(r.created_at)),
            update_time: Some(timestamp::from_datetime(r.updated_at)),
        }
    }
}

impl From<Stock> for proto::Stock {
    fn from(s: Stock) -> Self {
        proto::Stock {
            product_id: s.product_id.to_string(),
            available: s.available,
            reserved: s.reserved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: i64) -> MoneyMessage {
        MoneyMessage {
            currency_code: "USD".into(),
            amount_minor: amount,
        }
    }

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    #[test]
    fn every_invalid_field_of_a_new_product_is_named() {
        let request = proto::CreateProductRequest {
            product: Some(proto::Product {
                name: String::new(),
                category: "Not A Slug".into(),
                price: Some(MoneyMessage {
                    currency_code: "usd".into(),
                    amount_minor: 5,
                }),
                weight_grams: -1,
                ..Default::default()
            }),
            initial_stock: -1,
        };
        let err = NewProduct::try_from(request).expect_err("invalid");
        assert_eq!(
            fields(err),
            [
                "product.name",
                "product.category",
                "product.price.currency_code",
                "product.weight_grams",
                "initial_stock"
            ]
        );
    }

    #[test]
    fn an_update_mask_must_name_known_fields() {
        let product = proto::Product {
            price: Some(usd(100)),
            ..Default::default()
        };
        assert_eq!(
            fields(patch(&product, &[]).expect_err("empty")),
            ["update_mask"]
        );
        assert_eq!(
            fields(patch(&product, &["stock".into()]).expect_err("unknown")),
            ["update_mask.paths[0]"]
        );
        let only_price = patch(&product, &["price".into()]).expect("valid");
        assert!(only_price.price.is_some() && only_price.name.is_none());
        assert!(only_price.weight.is_none());
        let heavy = proto::Product {
            weight_grams: 1_000_001,
            ..Default::default()
        };
        assert_eq!(
            fields(patch(&heavy, &["weight_grams".into()]).expect_err("too heavy")),
            ["product.weight_grams"]
        );
    }

    #[test]
    fn an_unknown_path_is_quoted_back_short() {
        let product = proto::Product::default();
        let Err(Error::InvalidArgument(violations)) = patch(&product, &["é".repeat(100_000)])
        else {
            panic!("an unknown path must be refused");
        };
        assert!(violations[0].description.len() < 200, "{violations:?}");
        assert!(violations[0].description.starts_with("\"éé"));
    }

    #[test]
    fn a_wildcard_mask_validates_every_field() {
        let product = proto::Product {
            price: Some(usd(100)),
            ..Default::default()
        };
        assert_eq!(
            fields(patch(&product, &["*".into()]).expect_err("missing name")),
            ["product.name", "product.category"]
        );
    }
}
