//! The running server's database, opened from the bench with the same
//! settings and server secret: to register the client and the person the
//! flows use, and to load the same signing keys and deny-list the server
//! works with, so in-process signing and verifying do the server's work.

use std::sync::Arc;

use anyhow::Context;
use secrecy::SecretString;

use porteiro::clients::{ClientMetadata, ClientSecrets, Clients};
use porteiro::clock::{SharedClock, SystemClock};
use porteiro::config::Settings;
use porteiro::domain::Username;
use porteiro::keys::{KeyStore, Sealer, SigningAlg};
use porteiro::oidc::deny_list::DenyList;
use porteiro::oidc::discovery::DiscoveryDocument;
use porteiro::oidc::session::{self, Device};
use porteiro::secret::{ServerSecret, random_token};
use porteiro::storage::Db;
use porteiro::storage::models::session::Session;
use porteiro::storage::models::user::User;
use porteiro::users::{NewUser, PasswordHasher, Users};

use crate::server::Site;

pub const CLIENT_ID: &str = "bench-client";
pub const REDIRECT_URI: &str = "https://rp.example/callback";
/// `api` is the one scope a client acting for itself gets.
pub const CLIENT_SCOPES: &str = "openid profile email api";
pub const USERNAME: &str = "bench-person";
pub const PASSWORD: &str = "correct horse battery staple";

/// Revoked `jti`s put in the deny-list before the verifying flows, so each
/// check looks a token up among entries rather than in an empty map.
pub const DENY_LISTED: usize = 1_000;

/// Handles on the server's database and keys.
pub struct Fixture {
    pub settings: Settings,
    pub db: Db,
    pub clock: SharedClock,
    secret: ServerSecret,
}

/// What the flows sign in as.
pub struct Parties {
    pub client_secret: String,
    pub user: User,
    /// A live SSO session of the person, with its `sid` for the client.
    pub session: Session,
    pub sid: String,
    /// How the client's ID tokens are signed, as registered.
    pub id_token_alg: String,
}

impl Fixture {
    /// Opens the database of `site`, whose server has started once, so the
    /// database, keys and development secret exist.
    pub fn open(site: &Site) -> anyhow::Result<Fixture> {
        // The server runs on defaults plus the issuer and data directory,
        // which is what this builds.
        let settings = Settings {
            issuer: site.issuer(),
            data_dir: site.data_dir().to_owned(),
            ..Settings::default()
        };
        let secret = ServerSecret::new(settings.resolve_server_secret()?.secret);
        let db = Db::connect(settings.database_target()?, &settings.database)?;
        Ok(Fixture {
            settings,
            db,
            clock: Arc::new(SystemClock),
            secret,
        })
    }

    /// Registers a confidential client and creates a person with a password
    /// and a signed-in session.
    pub async fn create_parties(&self, id_token_alg: &str) -> anyhow::Result<Parties> {
        let clients = Clients::new(
            self.db.clone(),
            ClientSecrets::new(&self.secret),
            self.clock.clone(),
        );
        let registered = clients
            .register(&client_metadata(id_token_alg))
            .await
            .context("cannot register the bench client")?;
        let client_secret = registered
            .client_secret
            .context("a confidential client got no secret")?;

        let user = self.create_user().await?;
        let (session, sid) = self.start_session(&user).await?;
        Ok(Parties {
            client_secret,
            id_token_alg: registered.id_token_signed_response_alg,
            user,
            session,
            sid,
        })
    }

    async fn create_user(&self) -> anyhow::Result<User> {
        let users = Users::new(self.db.clone(), PasswordHasher::new(1), self.clock.clone());
        let new = NewUser {
            username: Username::parse(USERNAME)?,
            password: Some(SecretString::from(PASSWORD.to_owned())),
            name: Some("Bench Person".to_owned()),
            email: Some("bench-person@example.test".to_owned()),
            roles: vec![],
        };
        users
            .create(new)
            .await
            .context("cannot create the bench person")
    }

    async fn start_session(&self, user: &User) -> anyhow::Result<(Session, String)> {
        let now = self.clock.now();
        let lifetime = self.settings.sessions.absolute_lifetime_secs;
        let new = session::start(&user.id, &["pwd"], Device::default(), now, lifetime);

        let row = new.session.clone();
        self.db.run(move |conn| Session::insert(conn, &row)).await?;
        let sid = session::sid_for_client(&self.db, &new.session, CLIENT_ID, now).await?;
        Ok((new.session, sid))
    }

    /// The server's signing keys, loaded as the server loads them.
    pub async fn key_store(&self) -> anyhow::Result<Arc<KeyStore>> {
        let documents = Arc::new(DiscoveryDocument::new(&self.settings.issuer));
        let store = KeyStore::load(
            self.db.clone(),
            Sealer::new(&self.secret),
            self.clock.clone(),
            documents,
        )
        .await
        .context("cannot load the signing keys")?;
        Ok(store)
    }

    /// The deny-list after revoking [`DENY_LISTED`] tokens nobody holds,
    /// through the database, so the server reads them too.
    pub async fn filled_deny_list(&self) -> anyhow::Result<Arc<DenyList>> {
        let deny_list = DenyList::load(self.db.clone(), self.clock.clone()).await?;
        let expires_at = self.clock.now() + self.settings.tokens.access_token_lifetime_secs;
        for _ in 0..DENY_LISTED {
            deny_list.revoke(&random_token(16), expires_at).await?;
        }
        Ok(deny_list)
    }

    pub fn access_token_alg(&self) -> anyhow::Result<SigningAlg> {
        Ok(SigningAlg::parse(
            &self.settings.tokens.access_token_signing_alg,
        )?)
    }
}

/// A relying party that signs people in, refreshes, and also calls APIs as
/// itself; not first-party, so consent is asked.
fn client_metadata(id_token_alg: &str) -> ClientMetadata {
    let grants = ["authorization_code", "refresh_token", "client_credentials"];
    ClientMetadata {
        client_id: Some(CLIENT_ID.to_owned()),
        client_name: Some("Bench relying party".to_owned()),
        redirect_uris: vec![REDIRECT_URI.to_owned()],
        grant_types: Some(grants.iter().map(|g| (*g).to_owned()).collect()),
        scope: Some(CLIENT_SCOPES.to_owned()),
        id_token_signed_response_alg: Some(id_token_alg.to_owned()),
        ..ClientMetadata::default()
    }
}
