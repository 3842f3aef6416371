//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for notifications.

use futures_util::FutureExt;
use platform::testing::{TestAuth, operations::Service};

const NOTIFICATIONS: Service<notifications::StartError> = Service {
    name: "notifications",
    package: "shop.notifications.v1",
    services: &[
        "shop.notifications.v1.NotificationService",
        platform::events::admin::SERVICE,
    ],
    policy: notifications::api::policy,
    migrations: notifications::store::migrations,
    serve: |database_url, drain_delay, listener, shutdown| {
        // No email is sent by these checks; the folder is only created.
        let mail_dir = std::env::temp_dir().join("shop-notifications-operations-mail");
        let mut config =
            notifications::Config::new(database_url, TestAuth::new().verifier(), mail_dir);
        config.common.drain_delay = drain_delay;
        notifications::serve(config, listener, shutdown).boxed()
    },
};

platform::operations_tests!(NOTIFICATIONS);
