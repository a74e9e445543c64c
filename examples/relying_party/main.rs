//! An example relying party: a small web app that signs people in with
//! Porteiro through the `openidconnect` crate, shows the ID token's claims,
//! calls userinfo, and signs out everywhere (RP-initiated logout, and
//! back-channel logout from Porteiro). Run two copies on two ports to see
//! single sign-on and single logout:
//!
//! ```sh
//! cargo run --example relying_party -- --port 9001 --client-id ID --client-secret SECRET
//! ```
//!
//! Sessions live in memory; this is a demonstration, not a template for
//! production (no HTTPS, no persistence, one process).

mod backchannel;
mod oidc;
mod pages;
mod sessions;

use std::io::IsTerminal;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use base64::Engine;
use clap::Parser;
use serde::Deserialize;
use tracing_subscriber::EnvFilter;

use backchannel::LogoutTokenVerifier;
use oidc::{AuthorizationResponse, Provider};
use sessions::Sessions;

/// An example relying party for Porteiro.
#[derive(Debug, Parser)]
struct Args {
    /// Port to listen on, on 127.0.0.1.
    #[arg(long, env = "RP_PORT", default_value_t = 9001)]
    port: u16,
    /// The client id registered with Porteiro.
    #[arg(long, env = "RP_CLIENT_ID")]
    client_id: String,
    /// The client secret; leave it out for a public client.
    #[arg(long, env = "RP_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Porteiro's issuer URL.
    #[arg(long, env = "RP_ISSUER", default_value = "http://127.0.0.1:8080")]
    issuer: String,
    /// The app's name, shown on every page.
    #[arg(long, env = "RP_NAME", default_value = "Example app")]
    name: String,
}

struct AppState {
    name: String,
    base_url: String,
    cookie_name: String,
    provider: Provider,
    sessions: Sessions,
    logout_tokens: LogoutTokenVerifier,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();
    let address = ("127.0.0.1", args.port);

    let state = web::Data::new(app_state(args).await?);
    tracing::info!(app = %state.name, url = %state.base_url, "relying party listening");
    let shared = state.clone();
    HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .route("/", web::get().to(home))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
            .route("/userinfo", web::get().to(userinfo))
            .route("/logout", web::post().to(logout))
            .route("/backchannel-logout", web::post().to(backchannel_logout))
    })
    .bind(address)
    .with_context(|| format!("cannot listen on {}", state.base_url))?
    .run()
    .await
    .context("the server failed")
}

async fn app_state(args: Args) -> anyhow::Result<AppState> {
    let base_url = format!("http://127.0.0.1:{}", args.port);
    let provider = Provider::discover(
        &args.issuer,
        args.client_id.clone(),
        args.client_secret,
        format!("{base_url}/callback"),
    )
    .await?;
    let logout_tokens = LogoutTokenVerifier::new(
        &args.issuer,
        &args.client_id,
        provider.jwks_uri(),
        provider.http().clone(),
    );
    Ok(AppState {
        name: args.name,
        // Browsers do not tell cookies apart by port, so two copies of this
        // app on one host need cookies of different names.
        cookie_name: format!("rp_session_{}", args.port),
        base_url,
        provider,
        sessions: Sessions::default(),
        logout_tokens,
    })
}

#[derive(Debug, Deserialize)]
struct HomeQuery {
    state: Option<String>,
}

/// `GET /`: the claims of the signed-in person, or a "Sign in" link.
async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HomeQuery>,
) -> HttpResponse {
    let cookie = session_cookie(&req, &state);
    if let Some(signed_in) = cookie.as_deref().and_then(|c| state.sessions.signed_in(c)) {
        return pages::signed_in(&state.name, &signed_in.profile);
    }

    // Porteiro sends the browser back here with our `state` after a logout.
    let back_from_logout = match (cookie.as_deref(), query.state.as_deref()) {
        (Some(cookie), Some(logout_state)) => {
            state.sessions.take_logout_state(cookie, logout_state)
        }
        _ => false,
    };
    let notice = back_from_logout.then_some("You are signed out of Porteiro and of every app.");
    pages::signed_out(&state.name, notice)
}

/// `GET /login`: starts the authorization code flow at Porteiro.
async fn login(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let existing = session_cookie(&req, &state);
    let cookie = existing.clone().unwrap_or_else(random_token);

    let (url, pending) = state.provider.start_login();
    state.sessions.start_login(&cookie, pending);

    let mut response = redirect(url.as_str());
    if existing.is_none() {
        set_session_cookie(&mut response, &state, cookie);
    }
    response
}

/// `GET /callback`: Porteiro's answer to the authorization request.
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AuthorizationResponse>,
) -> HttpResponse {
    let failed = |detail: &str| {
        pages::error(
            StatusCode::BAD_REQUEST,
            &state.name,
            "Sign-in failed",
            detail,
        )
    };
    let no_login = "This browser has no sign-in in progress here (or it took too long).";
    let Some(cookie) = session_cookie(&req, &state) else {
        return failed(no_login);
    };
    let Some(pending) = state.sessions.take_pending_login(&cookie) else {
        return failed(no_login);
    };

    let signed_in = match state
        .provider
        .finish_login(query.into_inner(), pending)
        .await
    {
        Ok(signed_in) => signed_in,
        Err(error) => {
            tracing::warn!(app = %state.name, %error, "sign-in failed");
            return failed(&error.to_string());
        }
    };

    tracing::info!(app = %state.name, sub = %signed_in.profile.sub, "signed in");
    // A new session id at sign-in, so an id planted in the browser
    // beforehand (session fixation) is worth nothing.
    let fresh = random_token();
    state.sessions.sign_in(&cookie, &fresh, signed_in);
    let mut response = redirect("/");
    set_session_cookie(&mut response, &state, fresh);
    response
}

/// `GET /userinfo`: what Porteiro's userinfo endpoint says about the
/// signed-in person.
async fn userinfo(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let cookie = session_cookie(&req, &state);
    let Some(signed_in) = cookie.as_deref().and_then(|c| state.sessions.signed_in(c)) else {
        return redirect("/");
    };

    match state.provider.userinfo(&signed_in).await {
        Ok(json) => pages::userinfo(&state.name, &json),
        Err(error) => {
            tracing::warn!(app = %state.name, %error, "userinfo failed");
            pages::error(
                StatusCode::BAD_GATEWAY,
                &state.name,
                "Userinfo failed",
                &error,
            )
        }
    }
}

/// `POST /logout`: ends the local session, then sends the browser to
/// Porteiro to end the SSO session and every other app's. A POST, so a page
/// elsewhere cannot sign people out with a link (the cookie is `SameSite=Lax`).
async fn logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(cookie) = session_cookie(&req, &state) else {
        return redirect("/");
    };
    let logout_state = random_token();
    let Some(signed_in) = state.sessions.sign_out(&cookie, logout_state.clone()) else {
        return redirect("/");
    };
    tracing::info!(app = %state.name, sub = %signed_in.profile.sub, "signed out; logging out of Porteiro");

    let post_logout_redirect_uri = format!("{}/", state.base_url);
    match state
        .provider
        .logout_url(&signed_in, &post_logout_redirect_uri, &logout_state)
    {
        Some(url) => redirect(url.as_str()),
        None => redirect("/"),
    }
}

#[derive(Deserialize)]
struct LogoutTokenForm {
    logout_token: String,
}

/// `POST /backchannel-logout`: Porteiro says an SSO session has ended
/// (Back-Channel Logout 1.0 section 2.5); 200 once our sessions of it are
/// gone, 400 with an OAuth error for a token we refuse (section 2.8).
async fn backchannel_logout(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let Ok(form) = serde_urlencoded::from_bytes::<LogoutTokenForm>(&body) else {
        return backchannel_error("the logout_token form field is missing");
    };
    let subject = match state.logout_tokens.verify(&form.logout_token).await {
        Ok(subject) => subject,
        Err(error) => {
            tracing::warn!(app = %state.name, %error, "refused a back-channel logout token");
            return backchannel_error(&error.to_string());
        }
    };

    let ended = state
        .sessions
        .end_sso_session(subject.sid.as_deref(), subject.sub.as_deref());
    for sub in &ended {
        tracing::info!(app = %state.name, %sub, "signed out by back-channel logout");
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn backchannel_error(description: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "error": "invalid_request",
            "error_description": description,
        }))
}

fn session_cookie(req: &HttpRequest, state: &AppState) -> Option<String> {
    req.cookie(&state.cookie_name).map(|c| c.value().to_owned())
}

fn set_session_cookie(response: &mut HttpResponse, state: &AppState, value: String) {
    let cookie = Cookie::build(state.cookie_name.clone(), value)
        .path("/")
        .http_only(true)
        // Lax, not Strict: the redirect back from Porteiro to /callback is,
        // outside this demo, a navigation from another site, and must carry
        // the cookie.
        .same_site(SameSite::Lax)
        .finish();
    if let Err(error) = response.add_cookie(&cookie) {
        tracing::error!(%error, "cannot set the session cookie");
    }
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// 256 random bits, URL-safe: unguessable session ids and logout states.
fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
