//! `porteiro client ...`

use std::io::Read;
use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, prepared_db, print_table};
use crate::audit::Actor;
use crate::clients::{ClientError, ClientMetadata, ClientSecrets, Clients, RegisteredClient};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::secret::ServerSecret;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; a confidential client's secret is printed once
    Create(CreateArgs),
    /// List clients
    List,
    /// Show a client's registration as JSON
    Show { client_id: String },
    /// Delete a client
    Delete { client_id: String },
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Registration metadata as JSON (RFC 7591 names) from FILE, or `-` for
    /// standard input; prints the registered client as JSON
    #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "id", "public", "redirect_uris", "post_logout_redirect_uris", "grant_types", "scope", "first_party", "no_pkce", "id_token_alg"])]
    json: Option<PathBuf>,
    /// Display name
    #[arg(long)]
    name: Option<String>,
    /// Client id [default: generated]
    #[arg(long)]
    id: Option<String>,
    /// A public client (no secret; PKCE required)
    #[arg(long)]
    public: bool,
    /// Redirect URI; repeat for several
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// Post-logout redirect URI; repeat for several
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// Grant type; repeat for several [default: authorization_code]
    #[arg(long = "grant-type", value_name = "GRANT")]
    grant_types: Vec<String>,
    /// Space-separated scopes the client may ask for [default: "openid profile email"]
    #[arg(long)]
    scope: Option<String>,
    /// First-party client: consent is not asked
    #[arg(long)]
    first_party: bool,
    /// Let this confidential client skip PKCE
    #[arg(long)]
    no_pkce: bool,
    /// ID token signing algorithm [default: RS256]
    #[arg(long, value_name = "ALG")]
    id_token_alg: Option<String>,
}

pub async fn run(
    command: ClientCommand,
    settings: &Settings,
    clock: SharedClock,
) -> Result<(), CliError> {
    let secret = ServerSecret::new(settings.resolve_server_secret()?.secret);
    let db = prepared_db(settings).await?;
    let clients = Clients::new(db, ClientSecrets::new(&secret), clock).acting_as(Actor::cli());

    match command {
        ClientCommand::Create(args) => create(&clients, args).await,
        ClientCommand::List => {
            let rows = clients
                .list()
                .await
                .map_err(client_error)?
                .into_iter()
                .map(|c| {
                    let kind = if c.client_secret_expires_at.is_some() {
                        "confidential"
                    } else {
                        "public"
                    };
                    vec![
                        c.client_id,
                        c.client_name,
                        kind.to_owned(),
                        c.redirect_uris.join(" "),
                    ]
                })
                .collect::<Vec<_>>();
            print_table(&["CLIENT ID", "NAME", "TYPE", "REDIRECT URIS"], &rows);
            Ok(())
        }
        ClientCommand::Show { client_id } => {
            print_json(&clients.find(&client_id).await.map_err(client_error)?)
        }
        ClientCommand::Delete { client_id } => {
            clients.delete(&client_id).await.map_err(client_error)?;
            println!("client {client_id} deleted");
            Ok(())
        }
    }
}

async fn create(clients: &Clients, args: CreateArgs) -> Result<(), CliError> {
    if let Some(path) = &args.json {
        let metadata = read_metadata(path)?;
        let registered = clients.register(&metadata).await.map_err(client_error)?;
        return print_json(&registered);
    }

    let metadata = ClientMetadata {
        client_id: args.id,
        client_name: args.name,
        redirect_uris: args.redirect_uris,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        token_endpoint_auth_method: args.public.then(|| "none".to_owned()),
        grant_types: (!args.grant_types.is_empty()).then_some(args.grant_types),
        response_types: None,
        scope: args.scope,
        id_token_signed_response_alg: args.id_token_alg,
        first_party: Some(args.first_party),
        require_pkce: Some(!args.no_pkce),
        ..ClientMetadata::default()
    };
    let registered = clients.register(&metadata).await.map_err(client_error)?;
    println!("registered client {}", registered.client_id);
    println!("  client_id:     {}", registered.client_id);
    if let Some(secret) = &registered.client_secret {
        println!("  client_secret: {secret}");
        println!("  (the secret is shown once; store it now)");
    }
    Ok(())
}

fn read_metadata(path: &PathBuf) -> Result<ClientMetadata, CliError> {
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("the client metadata is not valid JSON: {e}")))
}

fn print_json(client: &RegisteredClient) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(client).map_err(|e| CliError::Failed(e.into()))?;
    println!("{text}");
    Ok(())
}

fn client_error(error: ClientError) -> CliError {
    match error {
        ClientError::Invalid(_)
        | ClientError::Fields(_)
        | ClientError::IdTaken(_)
        | ClientError::NotFound(_) => CliError::Usage(error.to_string()),
        ClientError::Storage(e) => CliError::Failed(anyhow::Error::new(e)),
    }
}
