//! The demo catalog (`--seed-demo`): loaded into an empty catalog only, so
//! restarting never duplicates it or overwrites real data. Demo products
//! have fixed ids, so the README's examples can name them. Each comes with
//! a picture (`demo-images/`, drawn by its `make.py`), added through the
//! same code as an upload.

use platform::money::Money;
use serde::Deserialize;

use crate::{
    domain::{
        AltText, Category, Description, InitialStock, NewProduct, ProductId, ProductName,
        WeightGrams,
        image::{self, ProcessedImage},
        values::PRICES,
    },
    error::{Error, Result},
    store::Store,
};

const DEMO: &str = include_str!("../data/demo-products.json");

/// The demo pictures, by the last two digits of their product's id.
macro_rules! demo_images {
    ($($number:literal),* $(,)?) => {
        [$(($number, include_bytes!(concat!("../demo-images/", $number, ".webp")).as_slice())),*]
    };
}
const DEMO_IMAGES: [(&str, &[u8]); 22] = demo_images!(
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "20", "21", "22",
);

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
    // Decoding and the grid copies are CPU work: off the runtime.
    let pictures = tokio::task::spawn_blocking(demo_images)
        .await
        .map_err(|_| Error::ImageProcessing)??;
    for (id, product) in demo {
        let (product, stock) = product.into_product_with_id(id, store.clock().now());
        store.insert_product(&product, stock).await?;
        let id_text = id.to_string();
        let number = &id_text[34..];
        if let Some((_, picture)) = pictures.iter().find(|(n, _)| *n == number) {
            // No alt text: the product's name says what the drawing shows.
            let alt = AltText::parse("").map_err(Error::Corrupt)?;
            store.add_image(id, picture.clone(), alt).await?;
        }
    }
    Ok(count)
}

/// The demo pictures, checked and with their grid copies, as an upload's.
fn demo_images() -> Result<Vec<(&'static str, ProcessedImage)>> {
    DEMO_IMAGES
        .iter()
        .map(|(number, bytes)| {
            image::process(bytes.to_vec())
                .map(|picture| (*number, picture))
                .map_err(|e| Error::Corrupt(format!("demo image {number}: {e}")))
        })
        .collect()
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

    #[test]
    fn every_demo_product_has_a_small_valid_picture() {
        let products = super::demo_products().expect("valid demo data");
        let pictures = super::demo_images().expect("valid demo images");
        for (id, product) in &products {
            let id_text = id.to_string();
            let number = &id_text[34..];
            let (_, picture) = pictures
                .iter()
                .find(|(n, _)| *n == number)
                .unwrap_or_else(|| panic!("no picture for {}", product.name.as_str()));
            assert!(picture.full.len() <= 15 * 1024, "{number} is too big");
            assert!(picture.width >= 480 && picture.height >= 480);
        }
        let total: usize = pictures.iter().map(|(_, p)| p.full.len()).sum();
        assert!(total < 400 * 1024);
    }
}
