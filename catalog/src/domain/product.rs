//! Products: what a new product needs, how an update applies, and what a
//! listing asks for.

use platform::{
    money::Money,
    paging::{OrderBy, PageSize, SortCursor, SortField},
};
use time::OffsetDateTime;

use super::values::{
    Category, Description, InitialStock, ProductId, ProductName, Version, WeightGrams,
};
use super::{availability::Availability, image::ProductImage};

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub name: ProductName,
    pub description: Description,
    pub category: Category,
    pub price: Money,
    pub weight: WeightGrams,
    pub version: Version,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// From the stock when the product was read.
    pub availability: Availability,
    /// In display order.
    pub images: Vec<ProductImage>,
}

impl Product {
    /// The product with `patch` applied at `now`, one version later.
    pub fn patched(&self, patch: ProductPatch, now: OffsetDateTime) -> Product {
        Product {
            id: self.id,
            name: patch.name.unwrap_or_else(|| self.name.clone()),
            description: patch
                .description
                .unwrap_or_else(|| self.description.clone()),
            category: patch.category.unwrap_or_else(|| self.category.clone()),
            price: patch.price.unwrap_or(self.price),
            weight: patch.weight.unwrap_or(self.weight),
            version: self.version.next(),
            created_at: self.created_at,
            updated_at: now,
            availability: self.availability,
            images: self.images.clone(),
        }
    }

    /// What text search matches against: name and description, lower-cased.
    pub fn search_text(&self) -> String {
        search_text(&self.name, &self.description)
    }
}

/// Lower-cased name and description, so a plain LIKE is case-insensitive on
/// both databases (SQLite's LIKE only folds ASCII).
pub fn search_text(name: &ProductName, description: &Description) -> String {
    format!("{}\n{}", name.as_str(), description.as_str()).to_lowercase()
}

/// Everything needed to create a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub name: ProductName,
    pub description: Description,
    pub category: Category,
    pub price: Money,
    pub weight: WeightGrams,
    pub initial_stock: InitialStock,
}

impl NewProduct {
    /// The product this creates, with a fresh id, at `now`.
    pub fn into_product(self, now: OffsetDateTime) -> (Product, InitialStock) {
        self.into_product_with_id(ProductId::generate(), now)
    }

    /// The product this creates with a chosen id (demo data), at `now`.
    pub fn into_product_with_id(
        self,
        id: ProductId,
        now: OffsetDateTime,
    ) -> (Product, InitialStock) {
        let product = Product {
            id,
            name: self.name,
            description: self.description,
            category: self.category,
            price: self.price,
            weight: self.weight,
            version: Version(1),
            created_at: now,
            updated_at: now,
            availability: Availability::of(self.initial_stock.units()),
            images: Vec::new(),
        };
        (product, self.initial_stock)
    }
}

/// The fields an update changes (the rest stay), and the version the
/// client last saw, if it wants the update refused when that is stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductPatch {
    pub name: Option<ProductName>,
    pub description: Option<Description>,
    pub category: Option<Category>,
    pub price: Option<Money>,
    pub weight: Option<WeightGrams>,
}

/// What a product listing may be sorted by (ListProductsRequest.order_by);
/// ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductOrder {
    CreateTime,
    Name,
    /// By amount in minor units.
    Price,
}

impl SortField for ProductOrder {
    const NAMES: &'static [(Self, &'static str)] = &[
        (Self::CreateTime, "create_time"),
        (Self::Name, "name"),
        (Self::Price, "price"),
    ];
    /// Oldest first, as before listings could be sorted.
    const DEFAULT: OrderBy<Self> = OrderBy::asc(Self::CreateTime);
}

impl Product {
    /// Where a listing in `order` resumes after this product.
    pub fn cursor(&self, order: OrderBy<ProductOrder>) -> SortCursor {
        match order.field {
            ProductOrder::CreateTime => SortCursor::new(self.created_at, self.id),
            ProductOrder::Name => SortCursor::new(self.name.as_str(), self.id),
            ProductOrder::Price => SortCursor::new(self.price.minor(), self.id),
        }
    }
}

/// A page of a product listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub category: Option<Category>,
    /// Lower-cased text to find in name or description.
    pub text: Option<String>,
    pub order: OrderBy<ProductOrder>,
    pub page_size: PageSize,
    /// Continue after this product (its sort key and id in `order`).
    pub after: Option<SortCursor>,
}

/// Validates listing text: at most 100 characters; matched ignoring case.
pub fn search_query(raw: &str) -> Result<Option<String>, String> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > 100 {
        return Err("must be at most 100 characters".into());
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::PRICES;
    use time::macros::datetime;

    fn product() -> Product {
        NewProduct {
            name: ProductName::parse("Mug").expect("name"),
            description: Description::parse("A MUG").expect("description"),
            category: Category::parse("kitchen").expect("category"),
            price: Money::parse("USD", 900, PRICES).expect("price"),
            weight: WeightGrams::new(400).expect("weight"),
            initial_stock: InitialStock::new(3).expect("stock"),
        }
        .into_product(datetime!(2024-01-01 00:00 UTC))
        .0
    }

    #[test]
    fn a_patch_changes_only_its_fields_and_bumps_the_version() {
        let before = product();
        let later = datetime!(2024-01-02 00:00 UTC);
        let after = before.patched(
            ProductPatch {
                price: Some(Money::parse("USD", 1200, PRICES).expect("price")),
                ..ProductPatch::default()
            },
            later,
        );
        assert_eq!(after.price.minor(), 1200);
        assert_eq!(after.name, before.name);
        assert_eq!(after.weight, before.weight);
        assert_eq!(after.version, Version(2));
        assert_eq!(
            (after.created_at, after.updated_at),
            (before.created_at, later)
        );
    }

    #[test]
    fn a_weight_patch_changes_the_weight_only() {
        let before = product();
        let after = before.patched(
            ProductPatch {
                weight: Some(WeightGrams::new(1_000_000).expect("a tonne")),
                ..ProductPatch::default()
            },
            before.updated_at,
        );
        assert_eq!(after.weight.grams(), 1_000_000);
        assert_eq!(after.price, before.price);
    }

    #[test]
    fn weights_are_zero_to_a_tonne() {
        assert!(WeightGrams::new(0).is_ok());
        assert!(WeightGrams::new(1_000_000).is_ok());
        assert!(WeightGrams::new(-1).is_err());
        assert!(WeightGrams::new(1_000_001).is_err());
    }

    #[test]
    fn search_text_ignores_case() {
        assert_eq!(product().search_text(), "mug\na mug");
        assert_eq!(search_query("  MuG "), Ok(Some("mug".into())));
        assert_eq!(search_query(""), Ok(None));
        assert!(search_query(&"x".repeat(101)).is_err());
    }
}
