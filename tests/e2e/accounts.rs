//! Account emails through the whole shop: the gateway writes the request
//! for the email with the account (or the reset token), the events carry
//! it to the notifications service, whose email holds the link; the link's
//! token verifies the address or sets a new password.

use contracts::auth::{RequestPasswordResetRequest, ResetPasswordRequest, VerifyEmailRequest};
use platform::testing::eventually;

use crate::helpers::*;

/// The token of the link to `page` in the email sent to `to`, once there
/// is one (the emails are quoted-printable: soft line breaks and `=3D`).
async fn link_token(shop: &TestShop, to: &str, page: &str) -> String {
    let needle = format!("/#/{page}?token=");
    let find = || {
        std::fs::read_dir(&shop.mail_dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|raw| {
                raw.replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=")
            })
            .filter(|text| text.contains(&format!("To: {to}")))
            .find_map(|text| {
                let at = text.find(&needle)? + needle.len();
                Some(
                    text[at..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect::<String>(),
                )
            })
    };
    eventually(&format!("an email to {to} links to {page}"), || async {
        find().is_some()
    })
    .await;
    find().expect("the link")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emailed_links_verify_the_address_and_reset_the_password() {
    let shop = TestShop::spawn().await;
    let email = "links@example.com";
    shop.register(email).await;

    let token = link_token(&shop, email, "verify").await;
    assert_eq!(token.len(), 43, "{token}");
    let user = shop
        .auth
        .clone()
        .verify_email(VerifyEmailRequest { token })
        .await
        .expect("the link verifies the address")
        .into_inner();
    assert!(user.email_verified);

    shop.auth
        .clone()
        .request_password_reset(RequestPasswordResetRequest {
            email: email.into(),
        })
        .await
        .expect("OK");
    let token = link_token(&shop, email, "reset-password").await;
    shop.auth
        .clone()
        .reset_password(ResetPasswordRequest {
            token,
            new_password: "a brand new passphrase".into(),
        })
        .await
        .expect("the link resets the password");
    shop.login(email, "a brand new passphrase")
        .await
        .expect("the new password signs in");
    shop.login(email, "correct horse battery")
        .await
        .expect_err("the old one does not");
    shop.stop().await;
}
