//! `shop.payments.v1.PaymentService`: charges and refunds for the orders
//! service (and admins), reads for everyone (customers: their own only),
//! wallet top-ups for admins. Who may call a method is the policy's job
//! (`api::policy`); which rows a caller sees is decided here.
//!
//! Request messages are never logged: they may carry card details.

use contracts::payments::{self as proto, payment_service_server::PaymentService};
use platform::{
    auth::Principal,
    paging::{Cursor, PageSize, PageTokens},
};
use tonic::{Request, Response, Status};

use super::convert::Violations;
use crate::{
    domain::{
        ChargeRequest, Currency, IdempotencyKey, ListQuery, NewCharge, OrderId, PaymentId,
        RefundRequest, TopUpRequest, UserId,
    },
    error::Error,
    service::Payments,
};

/// The PaymentService implementation.
#[derive(Clone)]
pub struct PaymentsApi {
    payments: Payments,
    tokens: PageTokens,
}

impl PaymentsApi {
    pub fn new(payments: Payments, tokens: PageTokens) -> Self {
        Self { payments, tokens }
    }
}

/// Whether the caller may see every user's payments and wallets: admins
/// and services (the orders service); customers see only their own.
fn sees_everyone(caller: &Principal) -> bool {
    caller.is_admin() || caller.service.is_some()
}

/// Refuses (with `refusal`) a customer naming another user's data; naming
/// none or themselves is fine.
fn may_name(caller: &Principal, user_id: &str, refusal: &str) -> Result<(), Error> {
    if sees_everyone(caller) || user_id.is_empty() || user_id == caller.user_id {
        Ok(())
    } else {
        Err(Error::PermissionDenied(refusal.into()))
    }
}

/// The user a caller acts for (the payer of a charge, the reader of "my"
/// data). Tokens are verified, but their subject is still checked.
fn acting_user(caller: &Principal) -> Result<UserId, Error> {
    UserId::parse(&caller.user_id)
        .map_err(|_| Error::PermissionDenied("the caller's token names no usable user".into()))
}

/// Who asked, for the audit columns: the user, and the service acting for them.
fn actor(caller: &Principal) -> String {
    match &caller.service {
        Some(service) => format!("{service}:{}", caller.user_id),
        None => caller.user_id.clone(),
    }
}

#[tonic::async_trait]
impl PaymentService for PaymentsApi {
    async fn charge(
        &self,
        request: Request<proto::ChargeRequest>,
    ) -> Result<Response<proto::Payment>, Status> {
        let payer = acting_user(&Principal::of(&request)?)?;
        let charge = NewCharge::try_from(request.into_inner())?;
        let payment = self
            .payments
            .charge(ChargeRequest {
                charge,
                user_id: payer,
            })
            .await?;
        Ok(Response::new((&payment).into()))
    }

    async fn refund(
        &self,
        request: Request<proto::RefundRequest>,
    ) -> Result<Response<proto::Payment>, Status> {
        let actor = actor(&Principal::of(&request)?);
        let refund = RefundRequest::try_from(request.into_inner())?;
        let payment = self.payments.refund(refund, &actor).await?;
        Ok(Response::new((&payment).into()))
    }

    async fn void_charge(
        &self,
        request: Request<proto::VoidChargeRequest>,
    ) -> Result<Response<proto::VoidChargeResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::default();
        let key = v.check(
            "idempotency_key",
            IdempotencyKey::parse(&request.idempotency_key),
        );
        let order_id = v.check("order_id", OrderId::parse(&request.order_id));
        let (key, order_id) = v.finish(|| Some((key?, order_id?)))?;
        let payment = self.payments.void(key, order_id).await?;
        Ok(Response::new(proto::VoidChargeResponse {
            payment: payment.as_ref().map(proto::Payment::from),
        }))
    }

    async fn get_payment(
        &self,
        request: Request<proto::GetPaymentRequest>,
    ) -> Result<Response<proto::Payment>, Status> {
        let caller = Principal::of(&request)?;
        let id = PaymentId::parse(&request.get_ref().id).map_err(|d| Error::invalid("id", d))?;
        let payment = self.payments.payment(id).await?;
        // Another user's payment looks exactly like one that does not exist.
        if !sees_everyone(&caller) && payment.user_id.as_str() != caller.user_id {
            return Err(Error::PaymentNotFound(id.to_string()).into());
        }
        Ok(Response::new((&payment).into()))
    }

    async fn list_payments(
        &self,
        request: Request<proto::ListPaymentsRequest>,
    ) -> Result<Response<proto::ListPaymentsResponse>, Status> {
        let caller = Principal::of(&request)?;
        let request = request.into_inner();
        may_name(
            &caller,
            &request.user_id,
            "customers may list only their own payments",
        )?;

        let mut v = Violations::default();
        let page_size = v.check("page_size", PageSize::new(request.page_size));
        let order_id = if request.order_id.is_empty() {
            Some(None)
        } else {
            v.check("order_id", OrderId::parse(&request.order_id))
                .map(Some)
        };
        // Customers always list their own, named or not.
        let user_id = if !sees_everyone(&caller) {
            Some(Some(acting_user(&caller)?))
        } else if request.user_id.is_empty() {
            Some(None)
        } else {
            v.check("user_id", UserId::parse(&request.user_id))
                .map(Some)
        };
        // A page token is only good for the filters it was issued with,
        // including whose payments they are.
        let user_filter = user_id
            .clone()
            .flatten()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default();
        let filters = [request.order_id.as_str(), user_filter.as_str()];
        let after = v.check(
            "page_token",
            self.tokens.after(&request.page_token, &filters),
        );
        let query = v.finish(|| {
            Some(ListQuery {
                order_id: order_id?,
                user_id: user_id?,
                page_size: page_size?,
                after: after?,
            })
        })?;

        let page = self.payments.list(&query).await?;
        Ok(Response::new(proto::ListPaymentsResponse {
            next_page_token: self
                .tokens
                .next(&page, &filters, |last| Cursor::of(last.created_at, last.id)),
            payments: page.items.iter().map(proto::Payment::from).collect(),
        }))
    }

    async fn get_wallet(
        &self,
        request: Request<proto::GetWalletRequest>,
    ) -> Result<Response<proto::WalletAccount>, Status> {
        let caller = Principal::of(&request)?;
        let request = request.into_inner();
        may_name(
            &caller,
            &request.user_id,
            "only admins may read another user's wallet",
        )?;
        let mut v = Violations::default();
        let user_id = if request.user_id.is_empty() {
            Some(acting_user(&caller)?)
        } else {
            v.check("user_id", UserId::parse(&request.user_id))
        };
        let currency = v.check("currency_code", Currency::parse(&request.currency_code));
        let (user_id, currency) = v.finish(|| Some((user_id?, currency?)))?;
        let wallet = self.payments.wallet(&user_id, &currency).await?;
        Ok(Response::new((&wallet).into()))
    }

    async fn top_up_wallet(
        &self,
        request: Request<proto::TopUpWalletRequest>,
    ) -> Result<Response<proto::WalletAccount>, Status> {
        let actor = actor(&Principal::of(&request)?);
        let top_up = TopUpRequest::try_from(request.into_inner())?;
        let wallet = self.payments.top_up(top_up, &actor).await?;
        tracing::info!(
            user_id = %wallet.user_id,
            currency = %wallet.currency,
            %actor,
            "wallet topped up"
        );
        Ok(Response::new((&wallet).into()))
    }
}
