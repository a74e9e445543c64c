//! Builds the application: settings in, a bound server out. The whole route
//! table is here, so one read shows every endpoint.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use secrecy::SecretString;

use crate::bootstrap::FirstAdmin;
use crate::clients::{ClientCache, ClientSecrets};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::keys::{KeyStore, Sealer};
use crate::middleware::csrf::CsrfKey;
use crate::oidc::deny_list::DenyList;
use crate::oidc::discovery::DiscoveryDocument;
use crate::routes;
use crate::secret::ServerSecret;
use crate::storage::Db;
use crate::upstream::Upstreams;
use crate::users::PasswordHasher;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub keys: Arc<KeyStore>,
    pub clock: SharedClock,
    pub passwords: PasswordHasher,
    pub client_secrets: ClientSecrets,
    pub client_cache: Arc<ClientCache>,
    pub csrf: CsrfKey,
    pub deny_list: Arc<DenyList>,
    pub upstreams: Arc<Upstreams>,
}

impl AppState {
    /// Cookies get `Secure` and the `__Host-` prefix when the issuer is HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.settings.issuer.starts_with("https://")
    }
}

pub struct Application {
    server: Server,
    port: u16,
    keys: Arc<KeyStore>,
    db: Db,
    first_admin_password: Option<SecretString>,
}

impl Application {
    /// Opens the database, migrates and seeds it, loads the keys and binds
    /// `listen`. The server runs once [`Application::run_until_stopped`] is
    /// awaited.
    pub async fn build(settings: Settings, clock: SharedClock) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.listen)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        Self::build_on(listener, settings, clock).await
    }

    /// As [`Application::build`], on a listener bound by the caller (tests
    /// bind port 0 first, so the issuer can name the port).
    pub async fn build_on(
        listener: TcpListener,
        settings: Settings,
        clock: SharedClock,
    ) -> anyhow::Result<Application> {
        let secret = settings.resolve_server_secret()?;
        if let Some(path) = &secret.generated_at {
            tracing::warn!(
                path = %path.display(),
                "generated a development server secret; set server_secret or server_secret_file in production"
            );
        }
        let secret = ServerSecret::new(secret.secret);
        let db = connect(&settings).await?;

        let sealer = Sealer::new(&secret);
        let seeded =
            crate::bootstrap::prepare_database(&db, &sealer, clock.now(), FirstAdmin::Create)
                .await?;
        let documents = Arc::new(DiscoveryDocument::new(&settings.issuer));
        let keys = KeyStore::load(db.clone(), sealer, clock.clone(), documents)
            .await
            .context("cannot load the signing keys")?;
        keys.spawn_reloader(Duration::from_millis(settings.keys.reload_interval_ms));
        let deny_list = DenyList::load(db.clone(), clock.clone())
            .await
            .context("cannot load the deny-list")?;
        deny_list.spawn_refresher(Duration::from_millis(settings.tokens.deny_list_refresh_ms));

        let upstreams = Upstreams::from_settings(&settings, &secret, clock.clone())
            .context("cannot set up the upstreams")?;

        let port = listener.local_addr()?.port();
        let workers = settings.worker_count();
        let state = web::Data::new(AppState {
            passwords: PasswordHasher::new(settings.hash_concurrency()),
            client_secrets: ClientSecrets::new(&secret),
            client_cache: Arc::new(ClientCache::new(
                db.clone(),
                Duration::from_millis(settings.tokens.client_cache_ms),
            )),
            csrf: CsrfKey::new(&secret),
            deny_list,
            upstreams: Arc::new(upstreams),
            settings: Arc::new(settings),
            db: db.clone(),
            keys: keys.clone(),
            clock,
        });
        crate::jobs::purge::spawn(
            db.clone(),
            state.settings.clone(),
            state.clock.clone(),
            Duration::from_secs(state.settings.database.purge_interval_secs.max(1)),
        );
        crate::jobs::logout_delivery::Deliverer::new(db.clone(), state.clock.clone()).spawn(
            Duration::from_millis(state.settings.sessions.logout_delivery_interval_ms),
        );
        let server = serve(listener, state, workers)?;
        tracing::info!(port, "listening");

        Ok(Application {
            server,
            port,
            keys,
            db,
            first_admin_password: seeded.first_admin_password,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn keys(&self) -> Arc<KeyStore> {
        self.keys.clone()
    }

    /// Stops the server from outside, as SIGTERM would.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn db(&self) -> Db {
        self.db.clone()
    }

    /// The password of the `admin` user created on this start, if any; the
    /// caller shows it once.
    pub fn take_first_admin_password(&mut self) -> Option<SecretString> {
        self.first_admin_password.take()
    }

    /// Serves until SIGTERM or SIGINT, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Opens the pool on the blocking pool: it waits for its first connections.
async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let target = settings.database_target()?;
    let pool_settings = settings.database.clone();
    tokio::task::spawn_blocking(move || Db::connect(target, &pool_settings))
        .await
        .context("the database connection task stopped")?
}

fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    workers: usize,
) -> anyhow::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "no-referrer")),
            )
            .wrap(from_fn(crate::middleware::request_span))
            .app_data(state.clone())
            .configure(routes)
            // Resources answer 405 to other methods; unknown paths get a JSON 404.
            .default_service(web::to(crate::error::not_found))
    })
    .workers(workers)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Every endpoint.
fn routes(cfg: &mut web::ServiceConfig) {
    use crate::middleware::admin_guard;
    use crate::oidc::discovery::{
        AUTHORIZE_PATH, END_SESSION_PATH, INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH,
        TOKEN_PATH, USERINFO_PATH,
    };
    use routes::admin_api;
    use routes::oidc::{
        authorization_response, authorize, discovery, introspect, jwks, revoke, token, userinfo,
    };

    cfg.service(web::resource("/healthz").get(routes::health::show_health))
        .service(web::resource("/readyz").get(routes::health::show_readiness))
        .service(web::resource("/.well-known/openid-configuration").get(discovery::show_discovery))
        .service(
            web::resource("/.well-known/oauth-authorization-server").get(discovery::show_discovery),
        )
        .service(web::resource(JWKS_PATH).get(jwks::show_jwks))
        .service(
            web::resource(AUTHORIZE_PATH)
                .get(authorize::authorize)
                .post(authorize::authorize),
        )
        .service(
            web::resource("/login")
                .get(routes::login::login_form)
                .post(routes::login::login),
        )
        .service(
            web::resource("/consent")
                .get(routes::consent::consent_form)
                .post(routes::consent::consent),
        )
        .service(web::resource(TOKEN_PATH).post(token::issue_token))
        .service(web::resource(REVOCATION_PATH).post(revoke::revoke_token))
        .service(web::resource("/account").get(routes::account::show_account))
        .service(web::resource("/account/sessions").post(routes::account::end_sessions))
        .service(web::resource("/account/upstreams").post(routes::upstream::change_upstreams))
        .service(web::resource("/upstream/{name}/start").get(routes::upstream::start_upstream))
        .service(
            web::resource("/upstream/{name}/callback").get(routes::upstream::upstream_callback),
        )
        .service(
            web::resource("/upstream/{name}/signed-out").get(routes::upstream::upstream_signed_out),
        )
        .service(
            web::resource(END_SESSION_PATH)
                .get(routes::logout::end_session)
                .post(routes::logout::end_session),
        )
        .service(web::resource(INTROSPECTION_PATH).post(introspect::introspect_token))
        .service(
            web::resource(USERINFO_PATH)
                .get(userinfo::show_userinfo)
                .post(userinfo::show_userinfo)
                .route(
                    web::method(actix_web::http::Method::OPTIONS).to(userinfo::userinfo_preflight),
                ),
        )
        .service(
            web::resource(routes::assets::STYLESHEET_PATH).get(routes::assets::show_stylesheet),
        )
        // The admin console: every page behind the admin guard.
        .service(
            web::scope("/admin")
                .wrap(from_fn(admin_guard::require_admin))
                .configure(routes::admin::routes),
        )
        // The admin API: a token is checked by the guard, each endpoint's
        // scope by its handler's `ApiCaller` (see `admin_api::ENDPOINTS`).
        .service(web::resource(admin_api::OPENAPI_PATH).get(admin_api::openapi::show_openapi))
        .service(
            web::scope(admin_api::BASE)
                .wrap(from_fn(admin_guard::require_admin_token))
                .configure(admin_api::routes)
                .default_service(web::to(admin_api::not_found)),
        )
        .service(
            web::resource(authorization_response::FORM_POST_SCRIPT_PATH)
                .get(authorization_response::show_form_post_script),
        );
}
