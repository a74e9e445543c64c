//! `porteiro user ...`

use std::io::BufRead;

use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};

use super::{CliError, format_time, prepared_db, print_table};
use crate::audit::Actor;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::{Role, Username};
use crate::users::{NewUser, PasswordHasher, UserError, Users};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; without --password-stdin a password is generated and printed once
    Create {
        username: String,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// A role to grant; repeat for several
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// List users
    List,
    /// Set a user's password; without --password-stdin one is generated and printed once
    SetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Stop a user from signing in
    Disable { username: String },
    /// Let a disabled user sign in again
    Enable { username: String },
    /// Grant a role
    AddRole { username: String, role: String },
    /// Take a role away
    RemoveRole { username: String, role: String },
}

pub async fn run(
    command: UserCommand,
    settings: &Settings,
    clock: SharedClock,
) -> Result<(), CliError> {
    let db = prepared_db(settings).await?;
    let users = Users::new(db, PasswordHasher::new(settings.hash_concurrency()), clock)
        .acting_as(Actor::cli());

    match command {
        UserCommand::Create {
            username,
            password_stdin,
            name,
            email,
            roles,
        } => {
            let roles = roles
                .iter()
                .map(|r| Role::parse(r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(usage)?;
            let (password, generated) = password_from(password_stdin)?;
            let new = NewUser {
                username: Username::parse(&username).map_err(usage)?,
                password: Some(password.clone()),
                name,
                email,
                roles,
            };
            let user = users.create(new).await.map_err(user_error)?;
            println!("created user {} ({})", user.username, user.id);
            show_generated(generated.then_some(&password));
        }
        UserCommand::List => {
            let rows = users
                .list()
                .await
                .map_err(user_error)?
                .into_iter()
                .map(|u| {
                    let roles = u.role_names().unwrap_or_default().join(",");
                    let status = if u.disabled { "disabled" } else { "enabled" };
                    vec![
                        u.username,
                        roles,
                        status.to_owned(),
                        format_time(u.created_at),
                    ]
                })
                .collect::<Vec<_>>();
            print_table(&["USERNAME", "ROLES", "STATUS", "CREATED"], &rows);
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = password_from(password_stdin)?;
            users
                .set_password(&username, password.clone())
                .await
                .map_err(user_error)?;
            println!("password of {username} changed");
            show_generated(generated.then_some(&password));
        }
        UserCommand::Disable { username } => {
            users
                .set_disabled(&username, true)
                .await
                .map_err(user_error)?;
            println!("user {username} disabled");
        }
        UserCommand::Enable { username } => {
            users
                .set_disabled(&username, false)
                .await
                .map_err(user_error)?;
            println!("user {username} enabled");
        }
        UserCommand::AddRole { username, role } => {
            let roles = users
                .change_role(&username, Role::parse(&role).map_err(usage)?, true)
                .await
                .map_err(user_error)?;
            println!("roles of {username}: {}", roles.join(","));
        }
        UserCommand::RemoveRole { username, role } => {
            let roles = users
                .change_role(&username, Role::parse(&role).map_err(usage)?, false)
                .await
                .map_err(user_error)?;
            println!("roles of {username}: {}", roles.join(","));
        }
    }
    Ok(())
}

/// The password from standard input, or a generated one (`true`).
fn password_from(stdin: bool) -> Result<(SecretString, bool), CliError> {
    if !stdin {
        return Ok((SecretString::from(crate::secret::random_token(18)), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::Usage(format!("cannot read the password from standard input: {e}"))
    })?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 8 {
        return Err(CliError::Usage(
            "a password needs at least 8 characters".to_owned(),
        ));
    }
    Ok((SecretString::from(password.to_owned()), false))
}

fn show_generated(password: Option<&SecretString>) {
    if let Some(password) = password {
        println!("password: {}", password.expose_secret());
        println!("(shown once; hand it to the user now)");
    }
}

fn usage(error: impl std::fmt::Display) -> CliError {
    CliError::Usage(error.to_string())
}

fn user_error(error: UserError) -> CliError {
    match error {
        UserError::Invalid(_) | UserError::UsernameTaken(_) | UserError::NotFound(_) => {
            usage(error)
        }
        other => CliError::Failed(anyhow::Error::new(other)),
    }
}
