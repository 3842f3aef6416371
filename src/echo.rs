//! The benchmark's reference: the fastest a unary call can be on this
//! machine. A bare tonic server (no middleware, no auth, no database) whose
//! GetProduct answers with one fixed product, so a call carries exactly a
//! real Product's bytes; ListProducts lists that one product so the load
//! generator finds it as it finds the catalog's. It implements the catalog's
//! contract rather than a separate echo proto so that the very same
//! generated client and `shop loadgen --scenario get-product` drive it.
//! Run by `bench/run` as the hidden `shop bench-echo`.

use std::future::Future;

use contracts::{
    catalog::{self as proto, catalog_service_server::CatalogService},
    common::Money,
};
use prost::Message;
use tokio::net::TcpListener;
use tonic::{
    Request, Response, Status,
    transport::{Server, server::TcpIncoming},
};

/// The first demo product, as the catalog would return it.
pub fn product() -> proto::Product {
    let created = prost_types::Timestamp {
        seconds: 1_767_225_600,
        nanos: 123_456_000,
    };
    proto::Product {
        id: "00000000-0000-7000-8000-000000000001".into(),
        name: "Ethiopia Yirgacheffe Coffee Beans".into(),
        description:
            "Light roast whole beans with notes of jasmine, bergamot and lemon. 250 g bag.".into(),
        category: "coffee".into(),
        price: Some(Money {
            currency_code: "USD".into(),
            amount_minor: 1450,
        }),
        etag: "v1".into(),
        create_time: Some(created),
        update_time: Some(created),
        weight_grams: 280,
        ..proto::Product::default()
    }
}

struct Echo {
    product: proto::Product,
}

#[tonic::async_trait]
impl CatalogService for Echo {
    async fn list_products(
        &self,
        _: Request<proto::ListProductsRequest>,
    ) -> Result<Response<proto::ListProductsResponse>, Status> {
        Ok(Response::new(proto::ListProductsResponse {
            products: vec![self.product.clone()],
            next_page_token: String::new(),
        }))
    }

    async fn get_product(
        &self,
        _: Request<proto::GetProductRequest>,
    ) -> Result<Response<proto::Product>, Status> {
        Ok(Response::new(self.product.clone()))
    }

    async fn batch_get_products(
        &self,
        _: Request<proto::BatchGetProductsRequest>,
    ) -> Result<Response<proto::BatchGetProductsResponse>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }

    async fn create_product(
        &self,
        _: Request<proto::CreateProductRequest>,
    ) -> Result<Response<proto::Product>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }

    async fn update_product(
        &self,
        _: Request<proto::UpdateProductRequest>,
    ) -> Result<Response<proto::Product>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }

    async fn delete_product(
        &self,
        _: Request<proto::DeleteProductRequest>,
    ) -> Result<Response<proto::DeleteProductResponse>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }

    async fn list_categories(
        &self,
        _: Request<proto::ListCategoriesRequest>,
    ) -> Result<Response<proto::ListCategoriesResponse>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }

    async fn add_product_image(
        &self,
        _: Request<proto::AddProductImageRequest>,
    ) -> Result<Response<proto::ProductImage>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }

    async fn delete_product_image(
        &self,
        _: Request<proto::DeleteProductImageRequest>,
    ) -> Result<Response<proto::DeleteProductImageResponse>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }

    async fn reorder_product_images(
        &self,
        _: Request<proto::ReorderProductImagesRequest>,
    ) -> Result<Response<proto::Product>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }

    async fn get_image_content(
        &self,
        _: Request<proto::GetImageContentRequest>,
    ) -> Result<Response<proto::ImageContent>, Status> {
        Err(Status::unimplemented("echo serves GetProduct only"))
    }
}

/// Serves the echo on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let product = product();
    eprintln!(
        "bench-echo: GetProduct answers {} bytes (an encoded Product)",
        product.encoded_len()
    );
    Server::builder()
        .add_service(proto::catalog_service_server::CatalogServiceServer::new(
            Echo { product },
        ))
        .serve_with_incoming_shutdown(
            // As the services do: small responses must not wait for Nagle.
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_echoed_product_is_as_large_as_a_demo_product() {
        // The demo product's fields, with an etag and two timestamps.
        assert!((150..300).contains(&product().encoded_len()));
    }
}
