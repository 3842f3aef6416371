//! The admin's user methods of `shop.auth.v1.AuthService`: requests checked
//! into [`super::domain`] values, the store asked, answers and errors made.
//!
//! The gateway's access table admits only admins to these methods; each
//! handler checks the caller's role again (defence in depth), so a mistake
//! in the table does not open accounts to everyone.
//!
//! BatchGetUsers and repeated ids: a repeated id is answered once, where it
//! first appears. The back office asks for the customers of a page of
//! orders, where one customer often has several orders; refusing repeats
//! would make every client deduplicate first, and answering them twice
//! would gain nothing (clients match users by id, as unknown ids are left
//! out anyway).

use contracts::auth as proto;
use platform::{
    auth::{Principal, Role},
    error::Violations,
    paging::{PageSize, PageTokens},
};
use tonic::{Request, Response, Status};

use super::domain::{ListQuery, RoleChange, SearchText, UserId, UserOrder};
use crate::{
    accounts::{
        api::user_message,
        store::{UserStore, role_name},
    },
    error::Error,
};

/// Most ids one BatchGetUsers names.
pub const MAX_BATCH: usize = 100;

/// The admin's user methods.
#[derive(Clone)]
pub struct UserAdmin {
    users: UserStore,
    tokens: PageTokens,
}

impl UserAdmin {
    pub fn new(users: UserStore, tokens: PageTokens) -> Self {
        Self { users, tokens }
    }

    /// Where the listing with `filters` resumes: after the user the token
    /// names, or at the start for no token.
    fn after(&self, token: &str, filters: &[&str]) -> Result<Option<UserId>, String> {
        if token.is_empty() {
            return Ok(None);
        }
        let last = self.tokens.check(token, filters)?;
        UserId::parse(&last)
            .map(Some)
            .map_err(|_| "is not a page token issued by this service".into())
    }

    pub async fn list_users(
        &self,
        request: Request<proto::ListUsersRequest>,
    ) -> Result<Response<proto::ListUsersResponse>, Status> {
        admin(&request)?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let page_size = v.check("page_size", PageSize::new(request.page_size));
        let role = v.check("role", role_filter(request.role));
        let text = v.check("query", SearchText::parse(&request.query));
        let order = v.check("order_by", UserOrder::parse(&request.order_by));
        // A page token is good only for the filters and order it was
        // issued with, as they are understood (so " Ada" and "ada" agree).
        // It holds just the id of the page's last user, not its sort key
        // as `PageTokens::next_sorted` would: that key may be an email,
        // which has no place in URLs and access logs; the store reads the
        // sort keys back by id.
        let filters = [
            role.flatten().map(role_name).unwrap_or_default().to_owned(),
            text.clone()
                .flatten()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            order.map(|o| o.to_string()).unwrap_or_default(),
        ];
        let filters = filters.each_ref().map(String::as_str);
        let after = v.check("page_token", self.after(&request.page_token, &filters));
        let query = v.finish(|| {
            Some(ListQuery {
                role: role?,
                text: text?,
                order: order?,
                page_size: page_size?,
                after: after?,
            })
        })?;

        let page = self.users.list_users(&query).await.map_err(Error::from)?;
        let Some(page) = page else {
            return Err(Error::invalid(
                "page_token",
                "continues after a user that no longer exists; list again without it",
            )
            .into());
        };
        let next_page_token = match (page.more, page.items.last()) {
            (true, Some(last)) => self.tokens.issue(&last.id, &filters),
            _ => String::new(),
        };
        Ok(Response::new(proto::ListUsersResponse {
            users: page.items.iter().map(user_message).collect(),
            next_page_token,
        }))
    }

    pub async fn get_user(
        &self,
        request: Request<proto::GetUserRequest>,
    ) -> Result<Response<proto::User>, Status> {
        admin(&request)?;
        let id = UserId::parse(&request.get_ref().id).map_err(|d| Error::invalid("id", d))?;
        let user = self
            .users
            .by_id(&id.to_string())
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::UserNotFound(id.to_string()))?;
        Ok(Response::new(user_message(&user)))
    }

    pub async fn batch_get_users(
        &self,
        request: Request<proto::BatchGetUsersRequest>,
    ) -> Result<Response<proto::BatchGetUsersResponse>, Status> {
        admin(&request)?;
        let raw_ids = &request.get_ref().ids;
        // Too many is refused before any id is looked at.
        platform::limits::at_most("ids", raw_ids.len(), MAX_BATCH).map_err(Error::from)?;
        let mut v = Violations::default();
        if raw_ids.is_empty() {
            v.add("ids", "must name at least one user");
        }
        let mut ids: Vec<UserId> = Vec::with_capacity(raw_ids.len());
        for (i, raw) in raw_ids.iter().enumerate() {
            if let Some(id) = v.check(&format!("ids[{i}]"), UserId::parse(raw))
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        let ids = v.finish(|| Some(ids)).map_err(Error::from)?;

        let mut found = self.users.users_by_ids(&ids).await.map_err(Error::from)?;
        // In the order asked; unknown ids are left out.
        let users = ids
            .iter()
            .filter_map(|id| {
                let id = id.to_string();
                let at = found.iter().position(|user| user.id == id)?;
                Some(found.swap_remove(at))
            })
            .map(|user| user_message(&user))
            .collect();
        Ok(Response::new(proto::BatchGetUsersResponse { users }))
    }

    pub async fn set_user_role(
        &self,
        request: Request<proto::SetUserRoleRequest>,
    ) -> Result<Response<proto::User>, Status> {
        let caller = admin(&request)?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let id = v.check("id", UserId::parse(&request.id));
        let role = v.check(
            "role",
            role_filter(request.role)
                .and_then(|role| role.ok_or_else(|| "must be ROLE_CUSTOMER or ROLE_ADMIN".into())),
        );
        let (id, role) = v.finish(|| Some((id?, role?))).map_err(Error::from)?;

        match self
            .users
            .change_role(id, role)
            .await
            .map_err(Error::from)?
        {
            RoleChange::Set(user) => {
                // Ids only: no email or name in the log.
                tracing::info!(
                    admin_id = %caller.user_id,
                    user_id = %user.id,
                    role = role_name(role),
                    "user role set"
                );
                Ok(Response::new(user_message(&user)))
            }
            RoleChange::NoSuchUser => Err(Error::UserNotFound(id.to_string()).into()),
            RoleChange::LastAdmin => Err(Error::LastAdmin.into()),
        }
    }
}

/// The caller, if an admin. The access table already refused anyone else;
/// this says so again where the data is.
fn admin<T>(request: &Request<T>) -> Result<Principal, Status> {
    let caller = Principal::of(request)?;
    if caller.is_admin() && caller.service.is_none() {
        Ok(caller)
    } else {
        Err(Error::AdminsOnly.into())
    }
}

/// A role as a request names it: ROLE_UNSPECIFIED is `None` (for a filter:
/// any role); a number the contract does not define is refused.
fn role_filter(raw: i32) -> Result<Option<Role>, String> {
    match proto::Role::try_from(raw) {
        Ok(proto::Role::Unspecified) => Ok(None),
        Ok(proto::Role::Customer) => Ok(Some(Role::Customer)),
        Ok(proto::Role::Admin) => Ok(Some(Role::Admin)),
        Err(_) => Err("must be ROLE_CUSTOMER or ROLE_ADMIN".into()),
    }
}
