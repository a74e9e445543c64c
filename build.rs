//! Rebuilds when a migration is added: `embed_migrations!` reads the
//! `migrations/` folders at compile time, but cargo cannot see a new folder
//! as a changed input on its own.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
