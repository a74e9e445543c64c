//! `/api/admin/v1/users`: people, their profile, roles, status and password.

use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{ApiError, context, no_store};
use crate::admin::{self, AdminContext};
use crate::domain::{Role, Username};
use crate::middleware::admin_guard::ApiCaller;
use crate::startup::AppState;
use crate::storage::models::user::User;
use crate::users::{self, NewUser, PAGE_SIZE};

/// The most users one page holds.
const MAX_PER_PAGE: i64 = 200;

#[derive(Debug, Deserialize)]
pub struct UserQuery {
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

#[derive(Deserialize)]
pub struct NewUserBody {
    username: String,
    password: Option<String>,
    name: Option<String>,
    email: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

/// Members left out stay as they are; `null` or `""` clears a name or
/// e-mail.
#[derive(Deserialize)]
pub struct UserChange {
    #[serde(default, with = "double_option")]
    name: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    email: Option<Option<String>>,
    roles: Option<Vec<String>>,
    disabled: Option<bool>,
}

#[derive(Deserialize)]
pub struct PasswordBody {
    password: String,
}

/// A user as the API shows one; never the password hash.
#[derive(Debug, Serialize)]
pub struct UserView {
    id: String,
    username: String,
    name: Option<String>,
    email: Option<String>,
    roles: Vec<String>,
    disabled: bool,
    has_password: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            id: user.id.clone(),
            username: user.username.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            roles: user.role_names().unwrap_or_default(),
            disabled: user.disabled,
            has_password: user.password_hash.is_some(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

pub async fn list_users(
    caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = (
        query.page.unwrap_or(1).max(1),
        query.per_page.unwrap_or(PAGE_SIZE).clamp(1, MAX_PER_PAGE),
    );
    let users = context(&state, caller).users();

    let found = users
        .search(query.q.as_deref().unwrap_or_default(), page, per_page)
        .await?;
    let views: Vec<UserView> = found.users.iter().map(UserView::from).collect();
    let body = serde_json::json!({
        "users": views, "total": found.total, "page": page, "per_page": per_page,
    });
    Ok(no_store(HttpResponse::Ok()).json(body))
}

pub async fn create_user(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Json<NewUserBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let password = body.password.as_deref().map(checked_password).transpose()?;
    let new = NewUser {
        username: Username::parse(&body.username).map_err(invalid)?,
        password,
        name: body.name,
        email: body.email,
        roles: parse_roles(&body.roles)?,
    };
    let users = context(&state, caller).users();

    let user = users.create(new).await?;
    Ok(no_store(HttpResponse::Created()).json(UserView::from(&user)))
}

pub async fn show_user(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let users = context(&state, caller).users();

    let user = users.find_by_id(&path).await?;
    Ok(no_store(HttpResponse::Ok()).json(UserView::from(&user)))
}

pub async fn update_user(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: web::Json<UserChange>,
) -> Result<HttpResponse, ApiError> {
    let change = change.into_inner();
    let roles = change.roles.as_deref().map(parse_roles).transpose()?;
    let users = context(&state, caller).users();
    let user = users.find_by_id(&path).await?;

    if change.name.is_some() || change.email.is_some() {
        let name = change.name.unwrap_or_else(|| user.name.clone());
        let email = change.email.unwrap_or_else(|| user.email.clone());
        users.update_profile(&user.username, name, email).await?;
    }
    if let Some(roles) = roles {
        users.set_roles(&user.username, &roles).await?;
    }
    if let Some(disabled) = change.disabled.filter(|d| *d != user.disabled) {
        users.set_disabled(&user.username, disabled).await?;
    }
    let user = users.find_by_id(&user.id).await?;
    Ok(no_store(HttpResponse::Ok()).json(UserView::from(&user)))
}

pub async fn set_user_password(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let password = checked_password(&body.password)?;
    let users = context(&state, caller).users();

    let user = users.find_by_id(&path).await?;
    users.set_password(&user.username, password).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn reset_user_password(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = AdminContext {
        state: &state,
        actor: caller.actor,
    };

    admin::users::force_password_reset(&ctx, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn checked_password(raw: &str) -> Result<SecretString, ApiError> {
    users::acceptable_password(raw).map_err(invalid)?;
    Ok(SecretString::from(raw.to_owned()))
}

fn parse_roles(names: &[String]) -> Result<Vec<Role>, ApiError> {
    names
        .iter()
        .map(|r| Role::parse(r))
        .collect::<Result<_, _>>()
        .map_err(invalid)
}

fn invalid(error: crate::domain::InvalidValue) -> ApiError {
    ApiError::InvalidRequest(error.0)
}

/// Tells a member set to `null` from one left out.
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(deserializer).map(Some)
    }
}
