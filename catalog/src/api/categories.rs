//! ListCategories: every category with products in it, and how many.

use contracts::catalog as proto;

use crate::{error::Error, store::Store};

/// The answer to ListCategories: categories by slug, each with its count
/// of products that are not deleted, from one aggregate query.
pub async fn list(store: &Store) -> Result<proto::ListCategoriesResponse, Error> {
    let categories = store.categories().await?;
    Ok(proto::ListCategoriesResponse {
        categories: categories
            .into_iter()
            .map(|(category, products)| proto::Category {
                slug: category.as_str().to_owned(),
                product_count: products,
            })
            .collect(),
    })
}
