//! Accounts for admins, through the gateway as a back office calls it:
//! ListUsers (filters, the four orders, keyset pages), GetUser,
//! BatchGetUsers and SetUserRole with its last-admin guard, which must
//! hold when admins demote each other at the same moment. Customers and
//! anonymous callers are refused every one of them. Users are seeded
//! straight into the gateway's database, with chosen creation times (some
//! equal, so ties are broken by id).

use std::time::Duration;

use bytes::Bytes;
use contracts::auth::{
    BatchGetUsersRequest, GetUserRequest, ListUsersRequest, ListUsersResponse, Role as ProtoRole,
    SetUserRoleRequest, User, auth_service_client::AuthServiceClient,
};
use gateway::{accounts::UserStore, routes};
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use platform::{
    auth::Role,
    clock::Clock,
    db::Db,
    testing::{
        TestAuth, TestDatabase, authorized, concurrently, every_page, expect_code, reason,
        violated_fields,
    },
};
use serde_json::Value;
use time::macros::datetime;
use tonic::{Code, transport::Channel};

/// A loopback port nothing listens on.
const NOWHERE: &str = "http://127.0.0.1:1";

/// The orders ListUsers knows.
const ORDERS: [&str; 4] = ["create_time desc", "create_time", "email", "email desc"];

/// A gateway on a throwaway database, and a way to put users in it.
struct Shop {
    url: String,
    auth: TestAuth,
    client: AuthServiceClient<Channel>,
    /// The gateway's users table, written directly, on a clock of its own.
    users: UserStore,
    clock: Clock,
    _database: TestDatabase,
}

impl Shop {
    async fn start() -> Self {
        let database = TestDatabase::new().await;
        // Migrated here first, so the gateway finds nothing left to do
        // (two migrations at once would meet SQLite's lock).
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
        // Connecting waits until the gateway (and its migrations) is up.
        let channel = loop {
            let endpoint = tonic::transport::Endpoint::from_shared(url.clone()).expect("url");
            if let Ok(channel) = endpoint.connect().await {
                break channel;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let clock = Clock::manual(datetime!(2026-01-01 00:00 UTC));
        Self {
            url,
            auth,
            client: AuthServiceClient::new(channel),
            users: UserStore::new(db, clock.clone()),
            clock,
            _database: database,
        }
    }

    /// A user created now (the seeding clock's now), with that role.
    async fn user(&self, email: &str, name: &str, role: Role) -> String {
        self.users
            .create(email, "not a password hash", name, role, None)
            .await
            .expect("create a user")
            .id
    }

    /// Moves the seeding clock on a second.
    fn tick(&self) {
        self.clock.advance(Duration::from_secs(1));
    }

    fn admin_token(&self, id: &str) -> String {
        self.auth.user_token(id, Role::Admin)
    }

    /// A token of an admin who has no account row: the access table and
    /// the handlers judge the token's role.
    fn admin(&self) -> String {
        self.admin_token("00000000-0000-7000-8000-0000000000ad")
    }

    fn customer(&self) -> String {
        self.auth
            .user_token("00000000-0000-7000-8000-0000000000c0", Role::Customer)
    }

    async fn list(&self, token: &str, request: ListUsersRequest) -> ListUsersResponse {
        self.client
            .clone()
            .list_users(authorized(request, token))
            .await
            .expect("ListUsers")
            .into_inner()
    }

    /// Every user a listing holds, page by page, and how many pages.
    async fn list_all(&self, request: &ListUsersRequest) -> (Vec<User>, usize) {
        let admin = self.admin();
        every_page(|page_token| {
            let request = ListUsersRequest {
                page_token,
                ..request.clone()
            };
            let admin = admin.clone();
            async move {
                let page = self.list(&admin, request).await;
                (page.users, page.next_page_token)
            }
        })
        .await
    }

    async fn set_role(
        &self,
        token: &str,
        id: &str,
        role: ProtoRole,
    ) -> Result<User, tonic::Status> {
        self.client
            .clone()
            .set_user_role(authorized(
                SetUserRoleRequest {
                    id: id.to_owned(),
                    role: role.into(),
                },
                token,
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// The ids of every admin, by asking the gateway.
    async fn admins(&self) -> Vec<String> {
        let request = ListUsersRequest {
            role: ProtoRole::Admin.into(),
            page_size: 100,
            ..ListUsersRequest::default()
        };
        let (admins, _) = self.list_all(&request).await;
        admins.into_iter().map(|u| u.id).collect()
    }

    async fn batch_get(&self, ids: &[String]) -> Result<Vec<User>, tonic::Status> {
        self.client
            .clone()
            .batch_get_users(authorized(
                BatchGetUsersRequest { ids: ids.to_vec() },
                &self.admin(),
            ))
            .await
            .map(|r| r.into_inner().users)
    }
}

/// `message` with `token` as its bearer, or with none.
fn as_caller<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
    match token {
        Some(token) => authorized(message, token),
        None => tonic::Request::new(message),
    }
}

fn emails(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.email.as_str()).collect()
}

/// Seven users: two pairs created in the same second (ties broken by id),
/// one admin, mixed-case names.
async fn seven_users(shop: &Shop) -> Vec<String> {
    let mut ids = Vec::new();
    for (email, name, role, then_tick) in [
        ("grace@example.com", "Grace Hopper", Role::Admin, true),
        ("ada@example.com", "Ada Lovelace", Role::Customer, false),
        (
            "edsger@example.com",
            "Edsger Dijkstra",
            Role::Customer,
            true,
        ),
        (
            "barbara@example.com",
            "Barbara Liskov",
            Role::Customer,
            true,
        ),
        ("alan@example.com", "Alan Turing", Role::Customer, false),
        ("donald@example.com", "DONALD Knuth", Role::Customer, true),
        ("frances@example.com", "Frances Allen", Role::Customer, true),
    ] {
        ids.push(shop.user(email, name, role).await);
        if then_tick {
            shop.tick();
        }
    }
    ids
}

/// `users` in the order `order_by` names, worked out here: (create time
/// or email, then id), either way round.
fn sorted(mut users: Vec<User>, order_by: &str) -> Vec<User> {
    let created = |u: &User| u.create_time.map(|t| (t.seconds, t.nanos));
    match order_by {
        "create_time desc" => users.sort_by(|a, b| (created(b), &b.id).cmp(&(created(a), &a.id))),
        "create_time" => users.sort_by(|a, b| (created(a), &a.id).cmp(&(created(b), &b.id))),
        "email" => users.sort_by(|a, b| (&a.email, &a.id).cmp(&(&b.email, &b.id))),
        "email desc" => users.sort_by(|a, b| (&b.email, &b.id).cmp(&(&a.email, &a.id))),
        other => panic!("unknown order {other}"),
    }
    users
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_pages_through_every_user_exactly_once_in_each_order() {
    let shop = Shop::start().await;
    seven_users(&shop).await;
    let (everyone, pages) = shop
        .list_all(&ListUsersRequest {
            page_size: 100,
            ..ListUsersRequest::default()
        })
        .await;
    assert_eq!((everyone.len(), pages), (7, 1));

    for order_by in ORDERS {
        let expected = sorted(everyone.clone(), order_by);
        for page_size in [1_i32, 3] {
            let (listed, pages) = shop
                .list_all(&ListUsersRequest {
                    page_size,
                    order_by: order_by.into(),
                    ..ListUsersRequest::default()
                })
                .await;
            assert_eq!(
                emails(&listed),
                emails(&expected),
                "{order_by}, {page_size} a page"
            );
            assert_eq!(pages, 7_usize.div_ceil(page_size.unsigned_abs() as usize));
        }
    }
    // The default is newest first.
    assert_eq!(
        emails(&everyone),
        emails(&sorted(everyone.clone(), "create_time desc"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn users_are_filtered_by_role_and_by_text_in_email_or_name_ignoring_case() {
    let shop = Shop::start().await;
    seven_users(&shop).await;
    let list = |role: ProtoRole, query: &str| ListUsersRequest {
        role: role.into(),
        query: query.into(),
        order_by: "email".into(),
        ..ListUsersRequest::default()
    };

    let (admins, _) = shop.list_all(&list(ProtoRole::Admin, "")).await;
    assert_eq!(emails(&admins), ["grace@example.com"]);
    let (customers, _) = shop.list_all(&list(ProtoRole::Customer, "")).await;
    assert_eq!(customers.len(), 6);
    assert!(
        customers
            .iter()
            .all(|u| u.role == i32::from(ProtoRole::Customer))
    );

    // "al" is in two emails (alan, donald) and one name only (Frances
    // Allen); the filter is trimmed and ignores case.
    let (found, _) = shop.list_all(&list(ProtoRole::Unspecified, "  AL ")).await;
    assert_eq!(
        emails(&found),
        [
            "alan@example.com",
            "donald@example.com",
            "frances@example.com"
        ]
    );
    // In names only, whatever their case or the query's.
    let (found, _) = shop.list_all(&list(ProtoRole::Unspecified, "knuth")).await;
    assert_eq!(emails(&found), ["donald@example.com"]);
    let (found, _) = shop
        .list_all(&list(ProtoRole::Unspecified, "LoveLace"))
        .await;
    assert_eq!(emails(&found), ["ada@example.com"]);
    let (found, _) = shop.list_all(&list(ProtoRole::Customer, "grace")).await;
    assert!(found.is_empty(), "Grace is an admin");
    let (found, _) = shop
        .list_all(&list(ProtoRole::Unspecified, "@example."))
        .await;
    assert_eq!(found.len(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn like_wildcards_in_the_text_filter_match_only_themselves() {
    let shop = Shop::start().await;
    shop.user("plain@example.com", "Plain Name", Role::Customer)
        .await;
    shop.user("percent@example.com", "100% Cotton", Role::Customer)
        .await;
    shop.user("under_score@example.com", "Under Score", Role::Customer)
        .await;
    shop.user("back@example.com", "Back\\slash", Role::Customer)
        .await;
    let search = |query: &str| ListUsersRequest {
        query: query.into(),
        order_by: "email".into(),
        ..ListUsersRequest::default()
    };

    for (query, expected) in [
        ("%", vec!["percent@example.com"]),
        ("_", vec!["under_score@example.com"]),
        ("r_s", vec!["under_score@example.com"]),
        ("0%", vec!["percent@example.com"]),
        ("\\", vec!["back@example.com"]),
        ("%%", vec![]),
        ("p_ain", vec![]),
    ] {
        let (found, _) = shop.list_all(&search(query)).await;
        assert_eq!(emails(&found), expected, "query {query:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_listings_name_their_fields_and_tokens_are_bound_to_filters_and_order() {
    let shop = Shop::start().await;
    seven_users(&shop).await;
    let admin = shop.admin();
    let refused = |request: ListUsersRequest| {
        let mut client = shop.client.clone();
        let admin = admin.clone();
        async move {
            violated_fields(&expect_code(
                client.list_users(authorized(request, &admin)).await,
                Code::InvalidArgument,
            ))
        }
    };

    assert_eq!(
        refused(ListUsersRequest {
            page_size: -1,
            order_by: "display_name".into(),
            query: "x".repeat(101),
            role: 7,
            page_token: "garbage".into(),
        })
        .await,
        ["page_size", "role", "query", "order_by", "page_token"]
    );
    // Exactly 100 characters is allowed.
    shop.list(
        &admin,
        ListUsersRequest {
            query: "x".repeat(100),
            ..ListUsersRequest::default()
        },
    )
    .await;

    let first = shop
        .list(
            &admin,
            ListUsersRequest {
                page_size: 2,
                order_by: "email".into(),
                query: "example".into(),
                ..ListUsersRequest::default()
            },
        )
        .await;
    assert!(!first.next_page_token.is_empty());
    for other in [
        ListUsersRequest {
            order_by: "email desc".into(),
            query: "example".into(),
            ..ListUsersRequest::default()
        },
        ListUsersRequest {
            order_by: "email".into(),
            query: "exampl".into(),
            ..ListUsersRequest::default()
        },
        ListUsersRequest {
            order_by: "email".into(),
            query: "example".into(),
            role: ProtoRole::Customer.into(),
            ..ListUsersRequest::default()
        },
    ] {
        let request = ListUsersRequest {
            page_token: first.next_page_token.clone(),
            page_size: 2,
            ..other
        };
        assert_eq!(refused(request).await, ["page_token"]);
    }
    // The same filters, spelled differently, are the same listing.
    let second = shop
        .list(
            &admin,
            ListUsersRequest {
                page_size: 2,
                order_by: " email ".into(),
                query: " EXAMPLE".into(),
                page_token: first.next_page_token,
                ..ListUsersRequest::default()
            },
        )
        .await;
    assert_eq!(
        emails(&second.users),
        ["barbara@example.com", "donald@example.com"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_is_read_by_id_and_an_unknown_one_is_not_found() {
    let shop = Shop::start().await;
    let id = shop
        .user("ada@example.com", "Ada Lovelace", Role::Customer)
        .await;
    let mut client = shop.client.clone();

    let user = client
        .get_user(authorized(GetUserRequest { id: id.clone() }, &shop.admin()))
        .await
        .expect("GetUser")
        .into_inner();
    assert_eq!(
        (
            user.id.as_str(),
            user.email.as_str(),
            user.display_name.as_str()
        ),
        (id.as_str(), "ada@example.com", "Ada Lovelace")
    );
    assert_eq!(user.role, i32::from(ProtoRole::Customer));
    assert!(user.create_time.is_some());
    // Made by the operator (the store directly), so counted as verified.
    assert!(user.email_verified);
    // The same id in capitals is the same user.
    let again = client
        .get_user(authorized(
            GetUserRequest {
                id: id.to_uppercase(),
            },
            &shop.admin(),
        ))
        .await
        .expect("GetUser");
    assert_eq!(again.into_inner().id, id);

    let missing = expect_code(
        client
            .get_user(authorized(
                GetUserRequest {
                    id: "00000000-0000-7000-8000-000000000404".into(),
                },
                &shop.admin(),
            ))
            .await,
        Code::NotFound,
    );
    assert_eq!(reason(&missing), "USER_NOT_FOUND");
    let bad = expect_code(
        client
            .get_user(authorized(
                GetUserRequest {
                    id: "'; DROP TABLE users; --".into(),
                },
                &shop.admin(),
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&bad), ["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_answers_in_the_order_asked_leaves_out_the_unknown_and_repeats_once() {
    let shop = Shop::start().await;
    let ids = seven_users(&shop).await;
    let unknown = "00000000-0000-7000-8000-000000000404".to_owned();

    let asked = vec![
        ids[3].clone(),
        unknown.clone(),
        ids[0].clone(),
        ids[3].to_uppercase(),
        ids[5].clone(),
    ];
    let users = shop.batch_get(&asked).await.expect("BatchGetUsers");
    let found: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(found, [&ids[3], &ids[0], &ids[5]]);

    assert_eq!(shop.batch_get(&[unknown]).await.expect("ok"), []);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_none_too_many_or_bad_ids_is_refused_naming_them() {
    let shop = Shop::start().await;
    let id = |i: usize| format!("00000000-0000-7000-8000-{i:012}");

    let hundred: Vec<String> = (0..100).map(id).collect();
    assert_eq!(shop.batch_get(&hundred).await.expect("100 is allowed"), []);

    // 101 ids, all of them garbage: one violation, for the list, before
    // any id is looked at.
    let too_many = vec!["not an id".to_owned(); 101];
    let refused = expect_code(shop.batch_get(&too_many).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["ids"]);
    let huge = vec![id(1); 100_000];
    let refused = expect_code(shop.batch_get(&huge).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["ids"]);

    let refused = expect_code(shop.batch_get(&[]).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["ids"]);

    let refused = expect_code(
        shop.batch_get(&[id(1), "nope".into(), id(2), String::new()])
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["ids[1]", "ids[3]"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_changes_a_role_and_gets_the_user_back() {
    let shop = Shop::start().await;
    let grace = shop
        .user("grace@example.com", "Grace Hopper", Role::Admin)
        .await;
    let ada = shop
        .user("ada@example.com", "Ada Lovelace", Role::Customer)
        .await;
    let as_grace = shop.admin_token(&grace);

    let promoted = shop
        .set_role(&as_grace, &ada, ProtoRole::Admin)
        .await
        .expect("promote");
    assert_eq!(
        (promoted.id.as_str(), promoted.role),
        (ada.as_str(), i32::from(ProtoRole::Admin))
    );
    assert_eq!(promoted.email, "ada@example.com");
    // Setting the role a user has already is no change, and no error.
    shop.set_role(&as_grace, &ada, ProtoRole::Admin)
        .await
        .expect("again");
    // With two admins, either may step down, even herself.
    let stepped_down = shop
        .set_role(&as_grace, &grace, ProtoRole::Customer)
        .await
        .expect("demote");
    assert_eq!(stepped_down.role, i32::from(ProtoRole::Customer));
    assert_eq!(shop.admins().await, std::slice::from_ref(&ada));

    let missing = expect_code(
        shop.set_role(
            &as_grace,
            "00000000-0000-7000-8000-000000000404",
            ProtoRole::Admin,
        )
        .await,
        Code::NotFound,
    );
    assert_eq!(reason(&missing), "USER_NOT_FOUND");
    for role in [i32::from(ProtoRole::Unspecified), 9] {
        let refused = expect_code(
            shop.client
                .clone()
                .set_user_role(authorized(
                    SetUserRoleRequest {
                        id: ada.clone(),
                        role,
                    },
                    &as_grace,
                ))
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&refused), ["role"]);
    }
    let refused = expect_code(
        shop.set_role(&as_grace, "ada", ProtoRole::Unspecified)
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["id", "role"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_admin_cannot_be_demoted() {
    let shop = Shop::start().await;
    let grace = shop
        .user("grace@example.com", "Grace Hopper", Role::Admin)
        .await;
    shop.user("ada@example.com", "Ada Lovelace", Role::Customer)
        .await;

    let refused = expect_code(
        shop.set_role(&shop.admin_token(&grace), &grace, ProtoRole::Customer)
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "LAST_ADMIN");
    assert_eq!(shop.admins().await, [grace]);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_admins_demoting_each_other_at_once_leave_exactly_one_admin_every_time() {
    let shop = Shop::start().await;
    let grace = shop
        .user("grace@example.com", "Grace Hopper", Role::Admin)
        .await;
    let ada = shop
        .user("ada@example.com", "Ada Lovelace", Role::Admin)
        .await;

    for round in 0..20 {
        let outcomes = concurrently(2, |i| {
            let (acting, target) = if i == 0 {
                (&grace, &ada)
            } else {
                (&ada, &grace)
            };
            let token = shop.admin_token(acting);
            let target = target.clone();
            let mut client = shop.client.clone();
            async move {
                client
                    .set_user_role(authorized(
                        SetUserRoleRequest {
                            id: target,
                            role: ProtoRole::Customer.into(),
                        },
                        &token,
                    ))
                    .await
            }
        })
        .await;
        let (done, refused): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
        assert_eq!((done.len(), refused.len()), (1, 1), "round {round}");
        let refused = refused
            .into_iter()
            .next()
            .and_then(Result::err)
            .expect("one refusal");
        assert_eq!(
            (refused.code(), reason(&refused)),
            (Code::FailedPrecondition, "LAST_ADMIN".to_owned()),
            "round {round}"
        );
        let admins = shop.admins().await;
        assert_eq!(admins.len(), 1, "round {round}: {admins:?}");
        // The one left promotes the other again for the next round.
        let demoted = if admins[0] == grace { &ada } else { &grace };
        shop.set_role(&shop.admin_token(&admins[0]), demoted, ProtoRole::Admin)
            .await
            .expect("promote again");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_admins_stepping_down_at_once_leave_exactly_one() {
    let shop = Shop::start().await;
    let mut admins = Vec::new();
    for i in 0..20 {
        admins.push(
            shop.user(&format!("admin{i}@example.com"), "Admin", Role::Admin)
                .await,
        );
    }

    let outcomes = concurrently(20, |i| {
        let id = admins[i].clone();
        let token = shop.admin_token(&id);
        let mut client = shop.client.clone();
        async move {
            client
                .set_user_role(authorized(
                    SetUserRoleRequest {
                        id,
                        role: ProtoRole::Customer.into(),
                    },
                    &token,
                ))
                .await
        }
    })
    .await;

    let refusals: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| outcome.as_ref().err().map(reason))
        .collect();
    assert_eq!(refusals, ["LAST_ADMIN"]);
    assert_eq!(shop.admins().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn customers_are_refused_every_admin_method_and_anonymous_callers_too() {
    let shop = Shop::start().await;
    let ada = shop
        .user("ada@example.com", "Ada Lovelace", Role::Admin)
        .await;
    let customer = shop.customer();
    let mut client = shop.client.clone();

    for token in [Some(customer.as_str()), None] {
        let expected = if token.is_some() {
            Code::PermissionDenied
        } else {
            Code::Unauthenticated
        };
        let outcomes = [
            client
                .list_users(as_caller(ListUsersRequest::default(), token))
                .await
                .map(drop),
            client
                .get_user(as_caller(GetUserRequest { id: ada.clone() }, token))
                .await
                .map(drop),
            client
                .batch_get_users(as_caller(
                    BatchGetUsersRequest {
                        ids: vec![ada.clone()],
                    },
                    token,
                ))
                .await
                .map(drop),
            client
                .set_user_role(as_caller(
                    SetUserRoleRequest {
                        id: ada.clone(),
                        role: ProtoRole::Customer.into(),
                    },
                    token,
                ))
                .await
                .map(drop),
        ];
        for (method, outcome) in ["ListUsers", "GetUser", "BatchGetUsers", "SetUserRole"]
            .iter()
            .zip(outcomes)
        {
            assert_eq!(
                outcome.map_err(|s| s.code()),
                Err(expected),
                "{method} with {token:?}"
            );
        }
    }
    // Nothing changed.
    assert_eq!(shop.admins().await, [ada]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_back_office_lists_users_as_json_over_rest() {
    let shop = Shop::start().await;
    seven_users(&shop).await;

    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::get(format!("{}/v1/users?orderBy=email&pageSize=2", shop.url))
        .header("authorization", format!("Bearer {}", shop.admin()))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let response = client.request(request).await.expect("an answer");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the body")
        .to_bytes();
    let json: Value = serde_json::from_slice(&body).expect("JSON");

    assert_eq!(status, 200, "{json}");
    let users = json["users"].as_array().expect("users");
    let listed: Vec<(&str, &str)> = users
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap_or_default(),
                u["role"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("ada@example.com", "ROLE_CUSTOMER"),
            ("alan@example.com", "ROLE_CUSTOMER")
        ]
    );
    assert!(users[0]["createTime"].is_string(), "{json}");
    assert!(
        json["nextPageToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );

    // Customers are refused over REST as over gRPC.
    let request = http::Request::get(format!("{}/v1/users", shop.url))
        .header("authorization", format!("Bearer {}", shop.customer()))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let response = client.request(request).await.expect("an answer");
    assert_eq!(response.status(), 403);
}
