//! Saved shipping addresses, through the gateway's AuthService as the
//! storefront calls it: each method checks what it is given as CreateOrder
//! checks an address, keeps 20 addresses per user at most and one default
//! at most (also when 20 calls race to make one), acts on the caller's own
//! addresses only (another user's id is NOT_FOUND, like an unknown one),
//! and refuses callers without a token. Users are seeded straight into the
//! gateway's database; their tokens are minted with the test keys.

use std::time::Duration;

use contracts::{
    auth::{
        CreateAddressRequest, DeleteAddressRequest, ListAddressesRequest, SavedAddress,
        SetDefaultAddressRequest, UpdateAddressRequest, auth_service_client::AuthServiceClient,
    },
    common::Address,
};
use gateway::{accounts::UserStore, routes};
use platform::{
    auth::Role,
    clock::Clock,
    db::Db,
    testing::{
        TestAuth, TestDatabase, authorized, concurrently, execute_sql, expect_code, reason,
        violated_fields,
    },
};
use prost_types::FieldMask;
use tonic::{Code, Status, transport::Channel};

/// A loopback port nothing listens on.
const NOWHERE: &str = "http://127.0.0.1:1";

/// A gateway on a throwaway database, and a way to put users in it.
struct Shop {
    auth: TestAuth,
    client: AuthServiceClient<Channel>,
    users: UserStore,
    database: TestDatabase,
}

impl Shop {
    async fn start() -> Self {
        let database = TestDatabase::new().await;
        // Migrated here first, so the gateway finds nothing left to do.
        let db = Db::connect(database.url(), 2, gateway::accounts::store::migrations())
            .await
            .expect("the gateway's database");
        let auth = TestAuth::new();
        let backends = routes::backends()
            .into_iter()
            .map(|name| (name, NOWHERE.to_owned()));
        let config = gateway::Config::new(
            database.url(),
            auth.gateway_signer(),
            auth.verifier(),
            backends,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(gateway::serve(config, listener, std::future::pending()));
        let channel = loop {
            let endpoint = tonic::transport::Endpoint::from_shared(url.clone()).expect("url");
            if let Ok(channel) = endpoint.connect().await {
                break channel;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Self {
            auth,
            client: AuthServiceClient::new(channel),
            users: UserStore::new(db, Clock::System),
            database,
        }
    }

    /// A customer with an account, and their token.
    async fn customer(&self, email: &str) -> String {
        let id = self
            .users
            .create(email, "not a password hash", "Ada", Role::Customer, None)
            .await
            .expect("create a user")
            .id;
        self.auth.user_token(&id, Role::Customer)
    }

    fn client(&self) -> AuthServiceClient<Channel> {
        self.client.clone()
    }

    async fn create(
        &self,
        token: &str,
        label: &str,
        address: Address,
        default: bool,
    ) -> Result<SavedAddress, Status> {
        self.client()
            .create_address(authorized(
                CreateAddressRequest {
                    saved_address: Some(SavedAddress {
                        label: label.into(),
                        address: Some(address),
                        default,
                        ..SavedAddress::default()
                    }),
                },
                token,
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn saved(&self, token: &str, label: &str) -> SavedAddress {
        self.create(token, label, home(), false)
            .await
            .expect("saved")
    }

    async fn list(&self, token: &str) -> Vec<SavedAddress> {
        self.client()
            .list_addresses(authorized(ListAddressesRequest {}, token))
            .await
            .expect("ListAddresses")
            .into_inner()
            .addresses
    }

    async fn update(
        &self,
        token: &str,
        saved: SavedAddress,
        paths: &[&str],
    ) -> Result<SavedAddress, Status> {
        self.client()
            .update_address(authorized(
                UpdateAddressRequest {
                    saved_address: Some(saved),
                    update_mask: Some(FieldMask {
                        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
                    }),
                },
                token,
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn delete(&self, token: &str, id: &str) -> Result<(), Status> {
        self.client()
            .delete_address(authorized(DeleteAddressRequest { id: id.into() }, token))
            .await
            .map(|_| ())
    }

    async fn set_default(&self, token: &str, id: &str) -> Result<SavedAddress, Status> {
        self.client()
            .set_default_address(authorized(
                SetDefaultAddressRequest { id: id.into() },
                token,
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// How many default addresses the table holds, for everyone, read past
    /// the API (a no-op update's count of rows is the number matched).
    async fn defaults_stored(&self) -> usize {
        execute_sql(
            self.database.url(),
            "UPDATE saved_addresses SET label = label WHERE is_default",
        )
        .await
    }
}

fn home() -> Address {
    Address {
        recipient: "Ada Lovelace".into(),
        line1: "12 Analytical Row".into(),
        line2: String::new(),
        city: "London".into(),
        region: String::new(),
        postal_code: "N1 9GU".into(),
        country_code: "GB".into(),
    }
}

fn labels(addresses: &[SavedAddress]) -> Vec<&str> {
    addresses.iter().map(|a| a.label.as_str()).collect()
}

fn defaults(addresses: &[SavedAddress]) -> Vec<&str> {
    addresses
        .iter()
        .filter(|a| a.default)
        .map(|a| a.label.as_str())
        .collect()
}

// Saving and listing.

#[tokio::test]
async fn the_first_address_saved_is_the_default_and_comes_back_trimmed() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    assert!(shop.list(&ada).await.is_empty());

    let padded = Address {
        recipient: "  Ada Lovelace ".into(),
        ..home()
    };
    let saved = shop
        .create(&ada, " Home ", padded, false)
        .await
        .expect("saved");
    assert_eq!(saved.label, "Home");
    assert_eq!(saved.address, Some(home()));
    assert!(saved.default, "the first address is the default");
    assert!(!saved.id.is_empty() && !saved.etag.is_empty());
    assert!(saved.create_time.is_some() && saved.update_time.is_some());
    assert_eq!(shop.list(&ada).await, [saved]);
}

#[tokio::test]
async fn a_new_default_takes_over_and_the_list_puts_it_first() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    shop.saved(&ada, "Home").await;
    let work = shop.saved(&ada, "Work").await;
    assert!(
        !work.default,
        "a later address is not the default unless asked"
    );
    assert_eq!(defaults(&shop.list(&ada).await), ["Home"]);

    let cottage = shop
        .create(&ada, "Cottage", home(), true)
        .await
        .expect("saved");
    assert!(cottage.default);
    let listed = shop.list(&ada).await;
    assert_eq!(labels(&listed), ["Cottage", "Home", "Work"]);
    assert_eq!(defaults(&listed), ["Cottage"]);
}

#[tokio::test]
async fn every_bad_part_of_an_address_is_named() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let bad = Address {
        recipient: " ".into(),
        line1: "x".repeat(201),
        line2: "a\u{0}b".into(),
        city: String::new(),
        region: "r".repeat(101),
        postal_code: "1".repeat(21),
        country_code: "gb".into(),
    };
    let refused = shop
        .create(&ada, &"l".repeat(51), bad, false)
        .await
        .expect_err("refused");
    assert_eq!(
        violated_fields(&refused),
        [
            "saved_address.label",
            "saved_address.address.recipient",
            "saved_address.address.line1",
            "saved_address.address.line2",
            "saved_address.address.city",
            "saved_address.address.region",
            "saved_address.address.postal_code",
            "saved_address.address.country_code",
        ]
    );
    let missing = shop
        .client()
        .create_address(authorized(
            CreateAddressRequest {
                saved_address: Some(SavedAddress::default()),
            },
            &ada,
        ))
        .await
        .expect_err("refused");
    assert_eq!(violated_fields(&missing), ["saved_address.address"]);
    let nothing = shop
        .client()
        .create_address(authorized(
            CreateAddressRequest {
                saved_address: None,
            },
            &ada,
        ))
        .await
        .expect_err("refused");
    assert_eq!(violated_fields(&nothing), ["saved_address"]);
    assert!(shop.list(&ada).await.is_empty());
}

#[tokio::test]
async fn a_huge_address_is_refused_without_being_echoed() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let huge = Address {
        line1: "\u{1F4E6}".repeat(200_000),
        ..home()
    };
    let refused = shop
        .create(&ada, "Home", huge, false)
        .await
        .expect_err("refused");
    assert_eq!(violated_fields(&refused), ["saved_address.address.line1"]);
    assert!(
        refused.message().len() < 1000,
        "{}",
        refused.message().len()
    );
}

// The limit.

#[tokio::test]
async fn an_account_keeps_20_addresses_and_the_21st_is_refused() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    for i in 0..20 {
        shop.saved(&ada, &format!("No. {i}")).await;
    }
    let refused = expect_code(
        shop.create(&ada, "One too many", home(), false).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "TOO_MANY_ADDRESSES");
    assert_eq!(shop.list(&ada).await.len(), 20);

    // Another customer's book is their own.
    let bob = shop.customer("bob@example.com").await;
    shop.saved(&bob, "Bob's").await;
}

#[tokio::test]
async fn twenty_racing_saves_on_a_book_of_19_leave_exactly_20() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    for i in 0..19 {
        shop.saved(&ada, &format!("No. {i}")).await;
    }
    let outcomes = concurrently(20, |i| {
        let client = shop.client();
        let ada = ada.clone();
        async move {
            client
                .clone()
                .create_address(authorized(
                    CreateAddressRequest {
                        saved_address: Some(SavedAddress {
                            label: format!("Racer {i}"),
                            address: Some(home()),
                            ..SavedAddress::default()
                        }),
                    },
                    &ada,
                ))
                .await
                .map(|_| ())
                .map_err(|status| (status.code(), reason(&status)))
        }
    })
    .await;
    let saved = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(saved, 1, "{outcomes:?}");
    for outcome in outcomes.iter().filter(|o| o.is_err()) {
        assert_eq!(
            outcome,
            &Err((Code::FailedPrecondition, "TOO_MANY_ADDRESSES".into()))
        );
    }
    assert_eq!(shop.list(&ada).await.len(), 20);
}

// One default.

#[tokio::test]
async fn twenty_racing_set_defaults_leave_exactly_one_default() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(shop.saved(&ada, &format!("No. {i}")).await.id);
    }
    let outcomes = concurrently(20, |i| {
        let client = shop.client();
        let (ada, id) = (ada.clone(), ids[i % ids.len()].clone());
        async move {
            client
                .clone()
                .set_default_address(authorized(SetDefaultAddressRequest { id }, &ada))
                .await
                .map(|answer| answer.into_inner().default)
                .map_err(|status| status.code())
        }
    })
    .await;
    assert!(outcomes.iter().all(|o| *o == Ok(true)), "{outcomes:?}");
    assert_eq!(defaults(&shop.list(&ada).await).len(), 1);
    assert_eq!(shop.defaults_stored().await, 1);
}

#[tokio::test]
async fn twenty_racing_saves_as_default_leave_exactly_one_default() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let outcomes = concurrently(20, |i| {
        let client = shop.client();
        let ada = ada.clone();
        async move {
            client
                .clone()
                .create_address(authorized(
                    CreateAddressRequest {
                        saved_address: Some(SavedAddress {
                            label: format!("Racer {i}"),
                            address: Some(home()),
                            default: true,
                            ..SavedAddress::default()
                        }),
                    },
                    &ada,
                ))
                .await
                .map(|_| ())
                .map_err(|status| status.code())
        }
    })
    .await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let listed = shop.list(&ada).await;
    assert_eq!(listed.len(), 20);
    assert_eq!(defaults(&listed).len(), 1);
    assert_eq!(shop.defaults_stored().await, 1);
}

#[tokio::test]
async fn making_the_default_the_default_again_changes_nothing() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let home = shop.saved(&ada, "Home").await;
    let again = shop.set_default(&ada, &home.id).await.expect("set");
    assert_eq!(again, home);
}

#[tokio::test]
async fn deleting_the_default_leaves_none_until_another_is_chosen() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let home = shop.saved(&ada, "Home").await;
    let work = shop.saved(&ada, "Work").await;
    shop.delete(&ada, &home.id).await.expect("deleted");
    let listed = shop.list(&ada).await;
    assert_eq!(labels(&listed), ["Work"]);
    assert!(defaults(&listed).is_empty());
    let chosen = shop.set_default(&ada, &work.id).await.expect("set");
    assert!(chosen.default);
    assert_ne!(chosen.etag, work.etag, "the flag is a change");
}

// Updates.

#[tokio::test]
async fn an_update_changes_only_the_masked_fields() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let saved = shop.saved(&ada, "Home").await;
    let moved = Address {
        line1: "1 New Street".into(),
        ..home()
    };
    let relabelled = shop
        .update(
            &ada,
            SavedAddress {
                label: "Flat".into(),
                address: Some(moved.clone()),
                ..saved.clone()
            },
            &["label"],
        )
        .await
        .expect("updated");
    assert_eq!(relabelled.label, "Flat");
    assert_eq!(
        relabelled.address,
        Some(home()),
        "the address was not masked"
    );
    assert_ne!(relabelled.etag, saved.etag);

    let everything = shop
        .update(
            &ada,
            SavedAddress {
                label: "Home".into(),
                address: Some(moved.clone()),
                etag: relabelled.etag.clone(),
                default: false,
                ..relabelled.clone()
            },
            &["*"],
        )
        .await
        .expect("updated");
    assert_eq!(
        (everything.label.as_str(), everything.address),
        ("Home", Some(moved))
    );
    assert!(everything.default, "UpdateAddress leaves the default alone");
}

#[tokio::test]
async fn an_update_with_a_stale_etag_is_aborted() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let read = shop.saved(&ada, "Home").await;
    shop.update(
        &ada,
        SavedAddress {
            label: "First tab".into(),
            ..read.clone()
        },
        &["label"],
    )
    .await
    .expect("the first write");
    let stale = expect_code(
        shop.update(
            &ada,
            SavedAddress {
                label: "Second tab".into(),
                ..read
            },
            &["label"],
        )
        .await,
        Code::Aborted,
    );
    assert_eq!(reason(&stale), "ETAG_MISMATCH");
    assert_eq!(labels(&shop.list(&ada).await), ["First tab"]);
}

#[tokio::test]
async fn an_update_names_what_is_wrong_with_it() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let saved = shop.saved(&ada, "Home").await;
    let with = |paths: &[&str], change: fn(&mut SavedAddress)| {
        let mut request = saved.clone();
        change(&mut request);
        let paths: Vec<String> = paths.iter().map(|p| (*p).to_owned()).collect();
        let shop = &shop;
        let ada = ada.clone();
        async move {
            let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
            violated_fields(
                &shop
                    .update(&ada, request, &paths)
                    .await
                    .expect_err("refused"),
            )
        }
    };
    assert_eq!(with(&[], |_| {}).await, ["update_mask"]);
    assert_eq!(with(&["default"], |_| {}).await, ["update_mask.paths[0]"]);
    assert_eq!(
        with(&["*", "label"], |_| {}).await,
        ["update_mask.paths[0]", "update_mask.paths[1]"]
    );
    assert_eq!(
        with(&["address"], |s| s
            .address
            .as_mut()
            .expect("set")
            .country_code = "UK!".into())
        .await,
        ["saved_address.address.country_code"]
    );
    assert_eq!(
        with(&["address"], |s| s.address = None).await,
        ["saved_address.address"]
    );
    assert_eq!(
        with(&["label"], |s| s.etag = "7".into()).await,
        ["saved_address.etag"]
    );
    assert_eq!(
        with(&["label"], |s| s.id = "42".into()).await,
        ["saved_address.id"]
    );
    assert_eq!(
        with(&["a", "b", "c", "d", "e", "f"], |_| {}).await,
        ["update_mask.paths"]
    );
    assert_eq!(shop.list(&ada).await, [saved]);
}

// Ownership.

#[tokio::test]
async fn another_customers_address_is_not_found_like_an_unknown_one() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let bob = shop.customer("bob@example.com").await;
    let adas = shop.saved(&ada, "Home").await;
    let unknown = "00000000-0000-7000-8000-00000000beef";

    for id in [adas.id.as_str(), unknown] {
        let answers = [
            shop.update(
                &bob,
                SavedAddress {
                    id: id.into(),
                    label: "Mine now".into(),
                    ..adas.clone()
                },
                &["label"],
            )
            .await
            .map(|_| ()),
            shop.delete(&bob, id).await,
            shop.set_default(&bob, id).await.map(|_| ()),
        ];
        for answer in answers {
            let status = expect_code(answer, Code::NotFound);
            assert_eq!(reason(&status), "ADDRESS_NOT_FOUND");
        }
    }
    assert!(shop.list(&bob).await.is_empty());
    assert_eq!(shop.list(&ada).await, [adas]);
}

#[tokio::test]
async fn an_address_deleted_is_gone_and_deleting_it_again_is_not_found() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let saved = shop.saved(&ada, "Home").await;
    shop.delete(&ada, &saved.id).await.expect("deleted");
    assert!(shop.list(&ada).await.is_empty());
    let again = expect_code(shop.delete(&ada, &saved.id).await, Code::NotFound);
    assert_eq!(reason(&again), "ADDRESS_NOT_FOUND");
    assert_eq!(
        violated_fields(&shop.delete(&ada, "not-an-id").await.expect_err("refused")),
        ["id"]
    );
}

#[tokio::test]
async fn an_account_deleted_since_its_token_was_issued_saves_nothing() {
    let shop = Shop::start().await;
    let ghost = shop
        .auth
        .user_token("00000000-0000-7000-8000-0000000000f0", Role::Customer);
    let refused = expect_code(
        shop.create(&ghost, "Home", home(), false).await,
        Code::Unauthenticated,
    );
    assert_eq!(reason(&refused), "UNKNOWN_USER");
    assert!(shop.list(&ghost).await.is_empty());
}

#[tokio::test]
async fn every_address_method_refuses_a_caller_without_a_token() {
    let shop = Shop::start().await;
    let ada = shop.customer("ada@example.com").await;
    let saved = shop.saved(&ada, "Home").await;
    let mut client = shop.client();
    let answers = [
        client
            .list_addresses(ListAddressesRequest {})
            .await
            .map(|_| ()),
        client
            .create_address(CreateAddressRequest {
                saved_address: Some(saved.clone()),
            })
            .await
            .map(|_| ()),
        client
            .update_address(UpdateAddressRequest {
                saved_address: Some(saved.clone()),
                update_mask: Some(FieldMask {
                    paths: vec!["label".into()],
                }),
            })
            .await
            .map(|_| ()),
        client
            .delete_address(DeleteAddressRequest {
                id: saved.id.clone(),
            })
            .await
            .map(|_| ()),
        client
            .set_default_address(SetDefaultAddressRequest {
                id: saved.id.clone(),
            })
            .await
            .map(|_| ()),
    ];
    for answer in answers {
        expect_code(answer, Code::Unauthenticated);
    }
    let forged = authorized(ListAddressesRequest {}, "not.a.token");
    expect_code(client.list_addresses(forged).await, Code::Unauthenticated);
    assert_eq!(shop.list(&ada).await, [saved]);
}
