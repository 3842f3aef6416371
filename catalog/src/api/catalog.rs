//! `shop.catalog.v1.CatalogService`: public product reads (cached), admin
//! writes, and product images (uploads decoded off the async runtime, a
//! few at a time).

use std::sync::Arc;

use contracts::catalog::{self as proto, catalog_service_server::CatalogService};
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};

use platform::{
    limits,
    paging::{OrderBy, PageSize, PageTokens},
};

use super::convert::{self, Violations};
use crate::{
    cache::ProductCache,
    domain::{
        AltText, Category, ImageId, ImageSize, ListQuery, NewProduct, ProductId, Version,
        image::{self, ImageError},
        product::search_query,
    },
    error::Error,
    store::Store,
};

/// Most ids in one BatchGetProducts call.
const MAX_BATCH: usize = 100;
/// Most paths in UpdateProduct's mask: one per updatable field.
const MAX_MASK_PATHS: usize = 5;
/// Uploads decoded at once: each may hold a full-size picture in memory
/// (up to 256 MB at 8000 x 8000), so more wait rather than add up.
const CONCURRENT_DECODES: usize = 2;

/// The CatalogService implementation.
#[derive(Clone)]
pub struct CatalogApi {
    store: Store,
    cache: ProductCache,
    tokens: PageTokens,
    decodes: Arc<Semaphore>,
}

impl CatalogApi {
    pub fn new(store: Store, cache: ProductCache, tokens: PageTokens) -> Self {
        Self {
            store,
            cache,
            tokens,
            decodes: Arc::new(Semaphore::new(CONCURRENT_DECODES)),
        }
    }
}

fn parse_id(field: &str, raw: &str) -> Result<ProductId, Error> {
    ProductId::parse(raw).map_err(|d| Error::invalid(field, d))
}

fn parse_image_id(field: &str, raw: &str) -> Result<ImageId, Error> {
    ImageId::parse(raw).map_err(|d| Error::invalid(field, d))
}

fn bad_content(error: ImageError) -> Error {
    Error::invalid("content", error.to_string())
}

fn parse_etag(field: &str, raw: &str) -> Result<Option<Version>, Error> {
    if raw.is_empty() {
        return Ok(None);
    }
    Version::from_etag(raw)
        .map(Some)
        .map_err(|d| Error::invalid(field, d))
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn list_products(
        &self,
        request: Request<proto::ListProductsRequest>,
    ) -> Result<Response<proto::ListProductsResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::default();
        let page_size = v.check("page_size", PageSize::new(request.page_size));
        let category = if request.category.is_empty() {
            Some(None)
        } else {
            v.check("category", Category::parse(&request.category))
                .map(Some)
        };
        let text = v.check("query", search_query(&request.query));
        let order = v.check("order_by", OrderBy::parse(&request.order_by));
        // A page token is only good for the filters and order it was issued
        // with (an invalid order has no tokens to check).
        let text_filter = text.clone().flatten().unwrap_or_default();
        let filters = [request.category.as_str(), text_filter.as_str()];
        let after = order.and_then(|order| {
            v.check(
                "page_token",
                self.tokens
                    .after_sorted(&request.page_token, &filters, order),
            )
        });
        let query = v.finish(|| {
            Some(ListQuery {
                category: category?,
                text: text?,
                order: order?,
                page_size: page_size?,
                after: after?,
            })
        })?;

        let page = self.store.list_products(&query).await?;
        Ok(Response::new(proto::ListProductsResponse {
            next_page_token: self
                .tokens
                .next_sorted(&page, &filters, query.order, |last| {
                    last.cursor(query.order)
                }),
            products: page.items.iter().map(proto::Product::from).collect(),
        }))
    }

    async fn get_product(
        &self,
        request: Request<proto::GetProductRequest>,
    ) -> Result<Response<proto::Product>, Status> {
        let id = parse_id("id", &request.get_ref().id)?;
        if let Some(product) = self.cache.get(&id) {
            return Ok(Response::new(product.as_ref().into()));
        }
        let ticket = self.cache.ticket();
        let product = Arc::new(self.store.product(id).await?);
        self.cache.fill(ticket, [product.clone()]);
        Ok(Response::new(product.as_ref().into()))
    }

    async fn batch_get_products(
        &self,
        request: Request<proto::BatchGetProductsRequest>,
    ) -> Result<Response<proto::BatchGetProductsResponse>, Status> {
        let raw_ids = &request.get_ref().ids;
        limits::at_most("ids", raw_ids.len(), MAX_BATCH)?;
        let mut v = Violations::default();
        if raw_ids.is_empty() {
            v.add("ids", "must name at least one product");
        }
        let mut ids = Vec::with_capacity(raw_ids.len());
        for (i, raw) in raw_ids.iter().enumerate() {
            if let Some(id) = v.check(&format!("ids[{i}]"), ProductId::parse(raw)) {
                if ids.contains(&id) {
                    v.add(format!("ids[{i}]"), "repeats an earlier id");
                }
                ids.push(id);
            }
        }
        let ids = v.finish(|| Some(ids))?;

        let mut found: Vec<Option<Arc<_>>> = ids.iter().map(|id| self.cache.get(id)).collect();
        let misses: Vec<ProductId> = ids
            .iter()
            .zip(&found)
            .filter(|(_, hit)| hit.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !misses.is_empty() {
            let ticket = self.cache.ticket();
            let loaded: Vec<Arc<_>> = self
                .store
                .products(&misses)
                .await?
                .into_iter()
                .map(Arc::new)
                .collect();
            self.cache.fill(ticket, loaded.iter().cloned());
            for (slot, id) in found.iter_mut().zip(&ids) {
                if slot.is_none() {
                    *slot = loaded.iter().find(|p| p.id == *id).cloned();
                }
            }
        }
        let missing: Vec<String> = ids
            .iter()
            .zip(&found)
            .filter(|(_, p)| p.is_none())
            .map(|(id, _)| id.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Error::ProductsNotFound(missing).into());
        }
        Ok(Response::new(proto::BatchGetProductsResponse {
            products: found.iter().flatten().map(|p| p.as_ref().into()).collect(),
        }))
    }

    async fn create_product(
        &self,
        request: Request<proto::CreateProductRequest>,
    ) -> Result<Response<proto::Product>, Status> {
        let new = NewProduct::try_from(request.into_inner())?;
        let product = self.store.create_product(new).await?;
        tracing::info!(product_id = %product.id, "product created");
        Ok(Response::new((&product).into()))
    }

    async fn update_product(
        &self,
        request: Request<proto::UpdateProductRequest>,
    ) -> Result<Response<proto::Product>, Status> {
        let request = request.into_inner();
        let paths = request.update_mask.map(|m| m.paths).unwrap_or_default();
        limits::at_most("update_mask.paths", paths.len(), MAX_MASK_PATHS)?;
        let product = request
            .product
            .ok_or_else(|| Error::invalid("product", "is required"))?;
        let id = parse_id("product.id", &product.id)?;
        let expected = parse_etag("product.etag", &product.etag)?;
        let patch = convert::patch(&product, &paths)?;

        let updated = self.store.update_product(id, patch, expected).await;
        // Invalidate even on failure: a stale-version error means the cache
        // may hold what the client just proved outdated.
        self.cache.invalidate(&id);
        let updated = updated?;
        tracing::info!(product_id = %id, etag = %updated.version.etag(), "product updated");
        Ok(Response::new((&updated).into()))
    }

    async fn delete_product(
        &self,
        request: Request<proto::DeleteProductRequest>,
    ) -> Result<Response<proto::DeleteProductResponse>, Status> {
        let request = request.into_inner();
        let id = parse_id("id", &request.id)?;
        let expected = parse_etag("etag", &request.etag)?;
        let deleted = self.store.delete_product(id, expected).await;
        self.cache.invalidate(&id);
        deleted?;
        tracing::info!(product_id = %id, "product deleted");
        Ok(Response::new(proto::DeleteProductResponse {}))
    }

    async fn list_categories(
        &self,
        _request: Request<proto::ListCategoriesRequest>,
    ) -> Result<Response<proto::ListCategoriesResponse>, Status> {
        Ok(Response::new(super::categories::list(&self.store).await?))
    }

    async fn add_product_image(
        &self,
        request: Request<proto::AddProductImageRequest>,
    ) -> Result<Response<proto::ProductImage>, Status> {
        let request = request.into_inner();
        let mut v = Violations::default();
        let product_id = v.check("product_id", ProductId::parse(&request.product_id));
        let alt_text = v.check("alt_text", AltText::parse(&request.alt_text));
        let size = v.check(
            "content",
            image::check_size(request.content.len()).map_err(|e| e.to_string()),
        );
        let (product_id, alt_text) = v.finish(|| {
            size?;
            Some((product_id?, alt_text?))
        })?;
        // Unknown products are refused before any decoding work.
        self.store.product(product_id).await?;
        let processed = {
            let _permit = self
                .decodes
                .acquire()
                .await
                .map_err(|_| Error::ImageProcessing)?;
            let content = request.content;
            tokio::task::spawn_blocking(move || image::process(content))
                .await
                .map_err(|_| Error::ImageProcessing)?
                .map_err(bad_content)?
        };
        let added = self.store.add_image(product_id, processed, alt_text).await;
        self.cache.invalidate(&product_id);
        let (_, image) = added?;
        tracing::info!(product_id = %product_id, image_id = %image.id, "product image added");
        Ok(Response::new((&image).into()))
    }

    async fn delete_product_image(
        &self,
        request: Request<proto::DeleteProductImageRequest>,
    ) -> Result<Response<proto::DeleteProductImageResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::default();
        let product_id = v.check("product_id", ProductId::parse(&request.product_id));
        let image_id = v.check("image_id", ImageId::parse(&request.image_id));
        let (product_id, image_id) = v.finish(|| Some((product_id?, image_id?)))?;
        let deleted = self.store.delete_image(product_id, image_id).await;
        self.cache.invalidate(&product_id);
        deleted?;
        tracing::info!(product_id = %product_id, image_id = %image_id, "product image deleted");
        Ok(Response::new(proto::DeleteProductImageResponse {}))
    }

    async fn reorder_product_images(
        &self,
        request: Request<proto::ReorderProductImagesRequest>,
    ) -> Result<Response<proto::Product>, Status> {
        let request = request.into_inner();
        limits::at_most(
            "image_ids",
            request.image_ids.len(),
            image::MAX_IMAGES_PER_PRODUCT,
        )?;
        let mut v = Violations::default();
        let product_id = v.check("product_id", ProductId::parse(&request.product_id));
        let mut order = Vec::with_capacity(request.image_ids.len());
        for (i, raw) in request.image_ids.iter().enumerate() {
            if let Some(id) = v.check(&format!("image_ids[{i}]"), ImageId::parse(raw)) {
                order.push(id);
            }
        }
        let (product_id, order) = v.finish(|| Some((product_id?, order)))?;
        let reordered = self.store.reorder_images(product_id, &order).await;
        self.cache.invalidate(&product_id);
        let product = reordered?;
        tracing::info!(product_id = %product_id, etag = %product.version.etag(), "product images reordered");
        Ok(Response::new((&product).into()))
    }

    async fn get_image_content(
        &self,
        request: Request<proto::GetImageContentRequest>,
    ) -> Result<Response<proto::ImageContent>, Status> {
        let request = request.into_inner();
        let image_id = parse_image_id("image_id", &request.image_id)?;
        let size = match proto::ImageSize::try_from(request.size) {
            Ok(proto::ImageSize::Unspecified | proto::ImageSize::Full) => ImageSize::Full,
            Ok(proto::ImageSize::Thumb) => ImageSize::Thumb,
            Err(_) => return Err(Error::invalid("size", "is not a known image size").into()),
        };
        let content = self.store.image_content(image_id, size).await?;
        Ok(Response::new(proto::ImageContent {
            content_type: content.format.content_type().to_owned(),
            content: content.bytes,
            etag: content.sha256,
        }))
    }
}
