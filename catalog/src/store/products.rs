//! Product queries: create (with its stock row), read, list, update and
//! delete, with optimistic concurrency on the version column.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    clock::to_micros,
    on_db,
    paging::{Page, SortCursor, SortKey},
    statements::CacheStatement,
};

use super::{
    Store,
    rows::{ImageRow, ProductRow, StockRow, products_with_images},
    schema::{product_images, products, stock},
};
use crate::{
    domain::{
        Category, InitialStock, ListQuery, NewProduct, Product, ProductId, ProductOrder,
        ProductPatch, Version,
    },
    error::{Error, Result},
    events,
};

/// `$select` ordered by `$column` then id, both ascending or both
/// descending, and given `$after` = `Some((key, id))` cut to the rows after
/// that one in this order: the row comparison `(column, id) > (key, id)`
/// spelled out, as both databases take it.
macro_rules! keyset {
    ($select:expr, $column:expr, $after:expr, $descending:expr) => {{
        let mut select = $select;
        let after = $after;
        if $descending {
            select = select.order(($column.desc(), products::id.desc()));
            if let Some((key, id)) = after {
                select =
                    select.filter($column.lt(key).or($column.eq(key).and(products::id.lt(id))));
            }
        } else {
            select = select.order(($column.asc(), products::id.asc()));
            if let Some((key, id)) = after {
                select =
                    select.filter($column.gt(key).or($column.eq(key).and(products::id.gt(id))));
            }
        }
        select
    }};
}

impl Store {
    /// Creates a product and its stock row in one transaction.
    pub async fn create_product(&self, new: NewProduct) -> Result<Product> {
        let (product, initial) = new.into_product(self.clock.now());
        self.insert_product(&product, initial).await?;
        Ok(product)
    }

    /// Inserts a product built elsewhere (the demo seed) with its stock row.
    pub async fn insert_product(&self, product: &Product, initial: InitialStock) -> Result<()> {
        let row = ProductRow::from(product);
        let stock_row = StockRow {
            product_id: row.id.clone(),
            available: initial.units(),
            reserved: 0,
        };
        let event = events::created(product);
        let now = product.created_at;
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                diesel::insert_into(products::table)
                    .values(&row)
                    .execute(tx)
                    .await?;
                diesel::insert_into(stock::table)
                    .values(&stock_row)
                    .execute(tx)
                    .await?;
                platform::events::append(tx.into(), event.clone(), now).await?;
                Ok(())
            })
            .await
        })
    }

    /// A product that exists and is not deleted, with its images.
    pub async fn product(&self, id: ProductId) -> Result<Product> {
        let key = id.to_string();
        let products = self.products(&[id]).await?;
        products
            .into_iter()
            .next()
            .ok_or(Error::ProductNotFound(key))
    }

    /// The products among `ids` that exist and are not deleted, with their
    /// images, in no particular order.
    pub async fn products(&self, ids: &[ProductId]) -> Result<Vec<Product>> {
        let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
        // One statement (a row per image, or one with none): one snapshot
        // and, on PostgreSQL, one implicit transaction rather than two (a
        // checkout reads its products twice: for the quote and the order).
        // Cached: on SQLite the ids are a list of placeholders, which diesel
        // will not cache, so it would prepare this three-table join again
        // on every call; cached, there is one statement per number of ids
        // (at most 100). On PostgreSQL they are one array parameter, one
        // statement either way.
        let rows: Vec<(ProductRow, i64, Option<ImageRow>)> = on_db!(&self.db, |conn| {
            products::table
                .inner_join(stock::table)
                .left_join(product_images::table)
                .filter(products::id.eq_any(&keys))
                .filter(products::deleted.eq(false))
                .order((products::id, product_images::position, product_images::id))
                .select((
                    ProductRow::as_select(),
                    stock::available,
                    Option::<ImageRow>::as_select(),
                ))
                .cached()
                .load(conn)
                .await?
        });
        let mut products: Vec<(ProductRow, i64)> = Vec::new();
        let mut images = Vec::new();
        for (row, available, image) in rows {
            if products.last().is_none_or(|(last, _)| last.id != row.id) {
                products.push((row, available));
            }
            images.extend(image);
        }
        products_with_images(products, images)
    }

    /// One page of products in the query's order (ties by id), each with
    /// its availability, and whether more follow. Resumes with a keyset
    /// condition on (sort key, id), so a page costs the same however deep.
    pub async fn list_products(&self, query: &ListQuery) -> Result<Page<Product>> {
        let limit = query.page_size.fetch();
        let pattern = query.text.as_deref().map(like_pattern);
        let category = query.category.as_ref().map(|c| c.as_str().to_owned());
        let (field, descending) = (query.order.field, query.order.descending);
        // A token is bound to its order, so its key has that order's kind;
        // any other is a token this service did not issue.
        let (mut number_after, mut text_after) = (None, None);
        match (field, &query.after) {
            (_, None) => {}
            (
                ProductOrder::Name,
                Some(SortCursor {
                    key: SortKey::Text(key),
                    id,
                }),
            ) => {
                text_after = Some((key.clone(), id.clone()));
            }
            (
                ProductOrder::CreateTime | ProductOrder::Price,
                Some(SortCursor {
                    key: SortKey::Int(key),
                    id,
                }),
            ) => number_after = Some((*key, id.clone())),
            _ => {
                return Err(Error::invalid(
                    "page_token",
                    "is not a page token issued by this service",
                ));
            }
        }
        let (rows, images) = on_db!(&self.db, |conn| {
            let mut select = products::table
                .inner_join(stock::table)
                .filter(products::deleted.eq(false))
                .select((ProductRow::as_select(), stock::available))
                .limit(limit)
                .into_boxed();
            if let Some(category) = &category {
                select = select.filter(products::category.eq(category));
            }
            if let Some(pattern) = &pattern {
                select = select.filter(products::search_text.like(pattern).escape('\\'));
            }
            let number_after = number_after.as_ref().map(|(key, id)| (*key, id));
            let text_after = text_after.as_ref().map(|(key, id)| (key, id));
            select = match field {
                ProductOrder::CreateTime => {
                    keyset!(select, products::created_at, number_after, descending)
                }
                ProductOrder::Price => {
                    keyset!(select, products::price_minor, number_after, descending)
                }
                ProductOrder::Name => keyset!(select, products::name, text_after, descending),
            };
            let page = Page::of(
                select.load::<(ProductRow, i64)>(conn).await?,
                query.page_size,
            );
            // The page's images in one query, not one per product.
            let found: Vec<String> = page.items.iter().map(|(r, _)| r.id.clone()).collect();
            let images: Vec<ImageRow> = images_of!(&found).load(conn).await?;
            (page, images)
        });
        Ok(Page {
            more: rows.more,
            items: products_with_images(rows.items, images)?,
        })
    }

    /// Every category with products that are not deleted, by slug, with
    /// how many: one aggregate query.
    pub async fn categories(&self) -> Result<Vec<(Category, i64)>> {
        let counted: Vec<(String, i64)> = on_db!(&self.db, |conn| {
            products::table
                .filter(products::deleted.eq(false))
                .group_by(products::category)
                .select((products::category, diesel::dsl::count_star()))
                .load(conn)
                .await?
        });
        // Sorted here, by bytes: a database collation may order "a-b"
        // after "ab" (PostgreSQL's en_US ignores the dash), SQLite not.
        let mut counted = counted;
        counted.sort_unstable();
        counted
            .into_iter()
            .map(|(slug, count)| {
                let category = Category::parse(&slug)
                    .map_err(|_| Error::Corrupt(format!("category {slug:?}")))?;
                Ok((category, count))
            })
            .collect()
    }

    /// Applies `patch` if the product exists and, when `expected` is given,
    /// still has that version. Also refuses (ABORTED) a write that lost a
    /// race with another writer, rather than overwriting it.
    pub async fn update_product(
        &self,
        id: ProductId,
        patch: ProductPatch,
        expected: Option<Version>,
    ) -> Result<Product> {
        let current = self.product(id).await?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(Error::StaleProduct(id.to_string()));
        }
        let updated = current.patched(patch, self.clock.now());
        let row = ProductRow::from(&updated);
        let key = id.to_string();
        let read_version = current.version.0;
        let previous_price = (current.price != updated.price).then_some(current.price.minor());
        let event = events::updated(&updated, previous_price);
        let now = updated.updated_at;
        let changed = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                let changed = diesel::update(
                    products::table
                        .filter(products::id.eq(&key))
                        .filter(products::deleted.eq(false))
                        .filter(products::version.eq(read_version)),
                )
                .set(&row)
                .execute(tx)
                .await?;
                if changed == 1 {
                    platform::events::append(tx.into(), event.clone(), now).await?;
                }
                Ok(changed)
            })
            .await?
        });
        if changed == 0 {
            // Deleted or changed between our read and our write.
            self.product(id).await?;
            return Err(Error::StaleProduct(key));
        }
        Ok(updated)
    }

    /// Marks a product deleted (orders keep their own copy of it).
    pub async fn delete_product(&self, id: ProductId, expected: Option<Version>) -> Result<()> {
        let key = id.to_string();
        let at = self.clock.now();
        let now = to_micros(at);
        let event = events::deleted(&self.product(id).await?);
        let changed = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // Without an expected version any version matches.
                let (lowest, highest) = expected.map_or((i64::MIN, i64::MAX), |v| (v.0, v.0));
                let target = products::table
                    .filter(products::id.eq(&key))
                    .filter(products::deleted.eq(false))
                    .filter(products::version.between(lowest, highest));
                let changed = diesel::update(target)
                    .set((
                        products::deleted.eq(true),
                        products::version.eq(products::version + 1),
                        products::updated_at.eq(now),
                    ))
                    .execute(tx)
                    .await?;
                if changed == 1 {
                    platform::events::append(tx.into(), event.clone(), at).await?;
                }
                Ok(changed)
            })
            .await?
        });
        if changed == 0 {
            self.product(id).await?;
            return Err(Error::StaleProduct(key));
        }
        Ok(())
    }

    /// Whether the catalog has no products at all (deleted ones included).
    pub async fn is_empty(&self) -> Result<bool> {
        let count: i64 = on_db!(&self.db, |conn| {
            products::table.count().get_result(conn).await?
        });
        Ok(count == 0)
    }
}

/// A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn wildcards_in_search_text_match_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
