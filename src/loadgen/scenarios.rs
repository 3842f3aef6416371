//! What a virtual user does: the scenarios, as one call per step, and the
//! set-up they need first (products to look at, stock to buy, an account).

use std::{sync::Arc, time::Duration};

use contracts::{
    auth::{LoginRequest, RegisterRequest, auth_service_client::AuthServiceClient},
    catalog::{
        CreateProductRequest, GetProductRequest, ListProductsRequest, Product,
        catalog_service_client::CatalogServiceClient,
    },
    common::{self, payment_method::Method},
    fulfilment::{
        GetShippingQuoteRequest, ShippingLine, fulfilment_service_client::FulfilmentServiceClient,
    },
    orders::{CreateOrderRequest, LineItem, order_service_client::OrderServiceClient},
};
use http::Uri;
use tonic::{
    Code, Request, Status,
    metadata::{Ascii, MetadataValue},
};

use super::transport::Connection;

/// What the virtual users do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// GetProduct of one of the catalog's products, anonymously.
    GetProduct,
    /// ListProducts, the first page, anonymously.
    ListProducts,
    /// A shopper looking around: 60 % GetProduct, 25 % ListProducts,
    /// 15 % a search.
    Browse,
    /// A signed-in customer ordering one unit with the test card: a
    /// shipping quote, then CreateOrder with its cheapest option, timed as
    /// one step (each virtual user registers and logs in once, before the
    /// warm-up).
    Checkout,
    /// The storefront's traffic: 85 % browsing as above, 15 % checkouts.
    Mixed,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::GetProduct => "get-product",
            Self::ListProducts => "list-products",
            Self::Browse => "browse",
            Self::Checkout => "checkout",
            Self::Mixed => "mixed",
        }
    }

    /// Whether each virtual user needs an account (and the run stock).
    pub fn buys(self) -> bool {
        matches!(self, Self::Checkout | Self::Mixed)
    }
}

/// Operation names, as the report lists them.
pub mod op {
    pub const GET_PRODUCT: &str = "get-product";
    pub const LIST_PRODUCTS: &str = "list-products";
    pub const SEARCH: &str = "search";
    pub const CHECKOUT: &str = "checkout";
}

/// Searches a browsing user types.
const QUERIES: [&str; 4] = ["coffee", "beans", "tea", "mug"];

/// Stock of each product a run buys: a checkout takes one unit, so no run
/// of any length this tool is meant for can sell out.
const RUN_STOCK: i64 = 1_000_000;

/// How many products a run buys, at most. Shoppers buy different things:
/// every checkout of one product would queue on that product's stock row
/// (the benchmark's first run measured that lock, not the shop).
const RUN_PRODUCTS: usize = 16;

/// What the virtual users share: products to look at, and products to buy.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    pub products: Vec<String>,
    pub stock_products: Vec<String>,
}

/// An administrator's credentials (to create the product a run buys).
#[derive(Debug, Clone)]
pub struct Admin {
    pub email: String,
    pub password: String,
}

fn bearer(token: &str) -> Result<MetadataValue<Ascii>, String> {
    format!("Bearer {token}")
        .parse()
        .map_err(|_| "the access token is not valid ASCII".to_owned())
}

fn signed<T>(message: T, token: &MetadataValue<Ascii>) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", token.clone());
    request
}

fn failed(what: &str, status: &Status) -> String {
    format!(
        "{what}: {} ({})",
        status.message(),
        platform::error::code_name(status.code())
    )
}

/// Finds products to look at; for a buying scenario (or an empty catalog)
/// also creates, as the admin, products with ample stock for this run (one
/// per user, up to [`RUN_PRODUCTS`]).
pub async fn prepare(
    connection: Connection,
    origin: Uri,
    scenario: Scenario,
    admin: &Admin,
    run_id: &str,
    users: usize,
) -> Result<Fixture, String> {
    let mut catalog = CatalogServiceClient::with_origin(connection.clone(), origin.clone());
    let listed = catalog
        .list_products(ListProductsRequest {
            page_size: 50,
            ..Default::default()
        })
        .await
        .map_err(|s| failed("listing the products", &s))?
        .into_inner();
    let mut fixture = Fixture {
        products: listed.products.into_iter().map(|p| p.id).collect(),
        stock_products: Vec::new(),
    };
    if scenario.buys() || fixture.products.is_empty() {
        let token = AuthServiceClient::with_origin(connection, origin)
            .login(LoginRequest {
                email: admin.email.clone(),
                password: admin.password.clone(),
            })
            .await
            .map_err(|s| {
                failed(
                    "logging in as the admin (to create the product this run buys; \
                     see --admin-email)",
                    &s,
                )
            })?
            .into_inner()
            .access_token;
        let token = bearer(&token)?;
        let count = if scenario.buys() {
            users.clamp(1, RUN_PRODUCTS)
        } else {
            1
        };
        for n in 0..count {
            let product = catalog
                .create_product(signed(
                    CreateProductRequest {
                        product: Some(Product {
                            name: format!("Load test item {run_id} {n}"),
                            description: "Created by shop loadgen for a checkout run.".into(),
                            category: "loadgen".into(),
                            price: Some(common::Money {
                                currency_code: "USD".into(),
                                amount_minor: 100,
                            }),
                            ..Default::default()
                        }),
                        initial_stock: RUN_STOCK,
                    },
                    &token,
                ))
                .await
                .map_err(|s| failed("creating a product to buy", &s))?
                .into_inner();
            fixture.stock_products.push(product.id);
        }
        if fixture.products.is_empty() {
            fixture.products = fixture.stock_products.clone();
        }
    }
    Ok(fixture)
}

/// Registers a new customer for virtual user `user` of run `run_id`, then
/// logs in as them; returns the access token.
pub async fn sign_up(
    connection: Connection,
    origin: Uri,
    run_id: &str,
    user: usize,
) -> Result<String, String> {
    let mut auth = AuthServiceClient::with_origin(connection, origin);
    let email = format!("loadgen-{run_id}-{user}@loadgen.test");
    let password = format!("loadgen-password-{run_id}");
    auth.register(RegisterRequest {
        email: email.clone(),
        password: password.clone(),
        display_name: format!("Load generator {user}"),
    })
    .await
    .map_err(|s| failed("registering a customer", &s))?;
    let login = auth
        .login(LoginRequest { email, password })
        .await
        .map_err(|s| failed("logging in as the new customer", &s))?;
    Ok(login.into_inner().access_token)
}

/// A small, fast, seedable random number generator (xorshift64*): the
/// choices only need to be spread, and seeding per user keeps runs repeatable.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        // Zero is xorshift's one fixed point.
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

/// Which operation a step of `scenario` makes, from a roll of 0..100.
pub fn choose(scenario: Scenario, roll: usize) -> &'static str {
    let browse = |roll: usize| match roll {
        0..60 => op::GET_PRODUCT,
        60..85 => op::LIST_PRODUCTS,
        _ => op::SEARCH,
    };
    match scenario {
        Scenario::GetProduct => op::GET_PRODUCT,
        Scenario::ListProducts => op::LIST_PRODUCTS,
        Scenario::Checkout => op::CHECKOUT,
        Scenario::Browse => browse(roll),
        Scenario::Mixed if roll >= 85 => op::CHECKOUT,
        // Rescale 0..85 to 0..100 so browsing keeps its own proportions.
        Scenario::Mixed => browse(roll * 100 / 85),
    }
}

/// One virtual user: its clients, its account (if it buys) and its dice.
pub struct User {
    catalog: CatalogServiceClient<Connection>,
    orders: OrderServiceClient<Connection>,
    fulfilment: FulfilmentServiceClient<Connection>,
    token: Option<MetadataValue<Ascii>>,
    fixture: Arc<Fixture>,
    dice: Dice,
    timeout: Duration,
    scenario: Scenario,
}

impl User {
    pub fn new(
        connection: Connection,
        origin: Uri,
        scenario: Scenario,
        fixture: Arc<Fixture>,
        token: Option<&str>,
        seed: u64,
        timeout: Duration,
    ) -> Result<Self, String> {
        Ok(Self {
            catalog: CatalogServiceClient::with_origin(connection.clone(), origin.clone()),
            orders: OrderServiceClient::with_origin(connection.clone(), origin.clone()),
            fulfilment: FulfilmentServiceClient::with_origin(connection, origin),
            token: token.map(bearer).transpose()?,
            fixture,
            dice: Dice::new(seed),
            timeout,
            scenario,
        })
    }

    /// Makes one call; returns which operation it was and its outcome.
    pub async fn step(&mut self) -> (&'static str, Code) {
        let op = choose(self.scenario, self.dice.below(100));
        // The deadline travels with the call (grpc-timeout); this one also
        // covers a transport that does not enforce it itself (grpc-web).
        let limit = self.timeout + Duration::from_secs(1);
        let outcome = match tokio::time::timeout(limit, self.call(op)).await {
            Ok(Ok(())) => Code::Ok,
            Ok(Err(status)) => status.code(),
            Err(_) => Code::DeadlineExceeded,
        };
        (op, outcome)
    }

    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = match &self.token {
            Some(token) => signed(message, token),
            None => Request::new(message),
        };
        request.set_timeout(self.timeout);
        request
    }

    async fn call(&mut self, op: &'static str) -> Result<(), Status> {
        let products = &self.fixture.products;
        match op {
            op::GET_PRODUCT => {
                let id = products[self.dice.below(products.len())].clone();
                let request = self.request(GetProductRequest { id });
                self.catalog.get_product(request).await.map(drop)
            }
            op::LIST_PRODUCTS => {
                let request = self.request(ListProductsRequest {
                    page_size: 20,
                    ..Default::default()
                });
                self.catalog.list_products(request).await.map(drop)
            }
            op::SEARCH => {
                let query = QUERIES[self.dice.below(QUERIES.len())].to_owned();
                let request = self.request(ListProductsRequest {
                    page_size: 20,
                    query,
                    ..Default::default()
                });
                self.catalog.list_products(request).await.map(drop)
            }
            _ => {
                let stock = &self.fixture.stock_products;
                if stock.is_empty() {
                    return Err(Status::failed_precondition("no product to buy"));
                }
                let product_id = stock[self.dice.below(stock.len())].clone();
                // A checkout is what a shopper does: a shipping quote for
                // the parcel, then the order with its cheapest option.
                let mut order = order(product_id.clone());
                let quote = self
                    .fulfilment
                    .get_shipping_quote(self.request(GetShippingQuoteRequest {
                        address: order.shipping_address.clone(),
                        lines: vec![ShippingLine {
                            product_id,
                            quantity: 1,
                        }],
                    }))
                    .await?
                    .into_inner();
                let cheapest = quote
                    .options
                    .first()
                    .ok_or_else(|| Status::failed_precondition("the quote offers no option"))?;
                order.shipping_option = cheapest.code.clone();
                order.shipping_quote_id = quote.id;
                let request = self.request(order);
                self.orders.create_order(request).await.map(drop)
            }
        }
    }
}

/// An order of one unit, paid with the always-approved test card; a fresh
/// request id each time (the same one would be an idempotent replay). The
/// shipping quote is filled in once it is got.
fn order(product_id: String) -> CreateOrderRequest {
    CreateOrderRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        lines: vec![LineItem {
            product_id,
            quantity: 1,
        }],
        payment_method: Some(common::PaymentMethod {
            method: Some(Method::Card(common::Card {
                number: "4242424242424242".into(),
                exp_month: 12,
                exp_year: 2099,
                cvc: "123".into(),
                holder_name: String::new(),
            })),
        }),
        shipping_address: Some(common::Address {
            recipient: "Load Generator".into(),
            line1: "1 Benchmark Street".into(),
            line2: String::new(),
            city: "London".into(),
            region: String::new(),
            postal_code: "N1 9GU".into(),
            country_code: "GB".into(),
        }),
        shipping_quote_id: String::new(),
        shipping_option: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_call_scenarios_always_make_the_same_call() {
        for roll in [0, 50, 99] {
            assert_eq!(choose(Scenario::GetProduct, roll), op::GET_PRODUCT);
            assert_eq!(choose(Scenario::ListProducts, roll), op::LIST_PRODUCTS);
            assert_eq!(choose(Scenario::Checkout, roll), op::CHECKOUT);
        }
    }

    fn share(scenario: Scenario, op: &str) -> usize {
        (0..100)
            .filter(|&roll| choose(scenario, roll) == op)
            .count()
    }

    #[test]
    fn browsing_is_mostly_looking_at_products() {
        assert_eq!(share(Scenario::Browse, op::GET_PRODUCT), 60);
        assert_eq!(share(Scenario::Browse, op::LIST_PRODUCTS), 25);
        assert_eq!(share(Scenario::Browse, op::SEARCH), 15);
        assert_eq!(share(Scenario::Browse, op::CHECKOUT), 0);
    }

    #[test]
    fn the_mix_buys_in_fifteen_steps_of_a_hundred_and_browses_otherwise() {
        assert_eq!(share(Scenario::Mixed, op::CHECKOUT), 15);
        for browsing in [op::GET_PRODUCT, op::LIST_PRODUCTS, op::SEARCH] {
            assert!(share(Scenario::Mixed, browsing) > 0, "{browsing}");
        }
    }

    #[test]
    fn dice_stay_in_range_and_spread_over_it() {
        let mut dice = Dice::new(0);
        let mut seen = [0usize; 10];
        for _ in 0..10_000 {
            seen[dice.below(10)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }

    #[test]
    fn only_buying_scenarios_need_accounts() {
        assert!(Scenario::Checkout.buys());
        assert!(Scenario::Mixed.buys());
        assert!(!Scenario::Browse.buys());
        assert!(!Scenario::GetProduct.buys());
    }
}
