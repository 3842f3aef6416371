//! The demo catalog (`--seed-demo`): loaded into an empty catalog only, so
//! restarting never duplicates it or overwrites real data. Demo products
//! have fixed ids, so the README's examples can name them.

use platform::money::Money;
use serde::Deserialize;

use crate::{
    domain::{
        Category, Description, InitialStock, NewProduct, ProductId, ProductName, WeightGrams,
        values::PRICES,
    },
    error::{Error, Result},
    store::Store,
};

const DEMO: &str = include_str!("../data/demo-products.json");

#[derive(Deserialize)]
struct DemoProduct {
    id: String,
    name: String,
    description: String,
    category: String,
    price_minor: i64,
    currency: String,
    weight_grams: i32,
    stock: i64,
}

/// Loads the demo catalog if the catalog is empty; returns how many
/// products were added.
pub async fn seed_demo(store: &Store) -> Result<usize> {
    if !store.is_empty().await? {
        return Ok(0);
    }
    let demo = demo_products()?;
    let count = demo.len();
    for (id, product) in demo {
        let (product, stock) = product.into_product_with_id(id, store.clock().now());
        store.insert_product(&product, stock).await?;
    }
    Ok(count)
}

fn demo_products() -> Result<Vec<(ProductId, NewProduct)>> {
    let raw: Vec<DemoProduct> =
        serde_json::from_str(DEMO).map_err(|e| Error::Corrupt(format!("demo data: {e}")))?;
    raw.into_iter()
        .map(|p| {
            let bad = |what: &str| Error::Corrupt(format!("demo product {:?}: {what}", p.name));
            let id = ProductId::parse(&p.id).map_err(|e| bad(&e))?;
            Ok((
                id,
                NewProduct {
                    name: ProductName::parse(&p.name).map_err(|e| bad(&e))?,
                    description: Description::parse(&p.description).map_err(|e| bad(&e))?,
                    category: Category::parse(&p.category).map_err(|e| bad(&e))?,
                    price: Money::parse(&p.currency, p.price_minor, PRICES)
                        .map_err(|_| bad("price"))?,
                    weight: WeightGrams::new(p.weight_grams).map_err(|e| bad(&e))?,
                    initial_stock: InitialStock::new(p.stock).map_err(|e| bad(&e))?,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_catalog_is_valid() {
        let products = super::demo_products().expect("valid demo data");
        assert!(products.len() >= 20);
        // Every demo product ships with a real weight.
        assert!(products.iter().all(|(_, p)| p.weight.grams() > 0));
    }
}
