//! The wrk runs: which endpoint, with what request, through which Lua
//! script in `benches/flows/lua/`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread;

use anyhow::Context;

use crate::one_by_one::{FORM, SignInPage, introspection_body};
use crate::wrk::{self, Load, Script, Wrk};

/// A short run before each measured one that can be repeated, so the
/// measured run starts on open connections and warm caches.
const WARM_UP: &str = "1s";

/// Logins queue for the hashing threads: 32 connections over about 70
/// hashes a second wait about half a second each, and longer while another
/// load shares the cores; wrk's 2 s default would count the tail as errors.
const LOGIN_TIMEOUT: &str = "10s";

/// What every run needs: the load, the server, where to write value files,
/// and the client's `Authorization` header.
pub struct Runner<'a> {
    pub load: &'a Load,
    pub addr: SocketAddr,
    pub work_dir: &'a Path,
    pub client_authorization: &'a str,
}

impl Runner<'_> {
    /// `POST /token` with `grant_type=client_credentials`, the same request
    /// each time.
    pub fn client_credentials(&self) -> anyhow::Result<Wrk> {
        let script = Script {
            path: lua("form.lua"),
            args: vec!["grant_type=client_credentials".to_owned()],
            headers: self.client_headers(),
            timeout: None,
        };
        self.warm_and_run("/token", &script)
    }

    /// `POST /token` redeeming each line of `bodies` once.
    pub fn code_exchange(&self, bodies: &Path) -> anyhow::Result<Wrk> {
        let script = Script {
            path: lua("once.lua"),
            args: vec![path_arg(bodies), self.load.threads.to_string()],
            headers: self.client_headers(),
            timeout: None,
        };
        wrk::run_script(self.load, &self.url("/token"), Some(&script))
    }

    /// `POST /login` with the person's password, again and again on one
    /// pending request: each sign-in starts a session and leads to consent.
    pub fn logins(&self, page: &SignInPage) -> anyhow::Result<Wrk> {
        self.warm_and_run("/login", &login_script(page))
    }

    /// Logins and `GET /jwks.json` at the same time, each under the full
    /// load; returns (logins, JWKS).
    pub fn logins_beside_jwks(&self, page: &SignInPage) -> anyhow::Result<(Wrk, Wrk)> {
        let script = login_script(page);
        let login_url = self.url("/login");
        let jwks_url = self.url("/jwks.json");
        thread::scope(|scope| {
            let logins = scope.spawn(|| wrk::run_script(self.load, &login_url, Some(&script)));
            let jwks = wrk::run(self.load, &jwks_url);
            let logins = logins
                .join()
                .map_err(|_| anyhow::anyhow!("the login load thread panicked"))?;
            Ok((logins?, jwks?))
        })
    }

    /// `GET /userinfo` with each token in turn as the Bearer token.
    pub fn userinfo(&self, tokens: &[String]) -> anyhow::Result<Wrk> {
        let lines: Vec<String> = tokens.iter().map(|t| format!("Bearer {t}")).collect();
        let values = self.write_values("userinfo.txt", &lines)?;
        let script = Script {
            path: lua("cycle.lua"),
            args: vec![path_arg(&values), "Authorization".to_owned()],
            headers: vec![],
            timeout: None,
        };
        self.warm_and_run("/userinfo", &script)
    }

    /// `POST /introspect` of each token in turn, as the client.
    pub fn introspection(&self, tokens: &[String]) -> anyhow::Result<Wrk> {
        let lines: Vec<String> = tokens.iter().map(|t| introspection_body(t)).collect();
        let values = self.write_values("introspection.txt", &lines)?;
        let script = Script {
            path: lua("cycle.lua"),
            args: vec![path_arg(&values), "body".to_owned()],
            headers: self.client_headers(),
            timeout: None,
        };
        self.warm_and_run("/introspect", &script)
    }

    fn warm_and_run(&self, path: &str, script: &Script) -> anyhow::Result<Wrk> {
        let warm_up = Load {
            duration: WARM_UP.to_owned(),
            ..self.load.clone()
        };
        let url = self.url(path);
        wrk::run_script(&warm_up, &url, Some(script))?;
        wrk::run_script(self.load, &url, Some(script))
    }

    fn client_headers(&self) -> Vec<String> {
        vec![
            format!("Authorization: {}", self.client_authorization),
            format!("Content-Type: {FORM}"),
        ]
    }

    fn write_values(&self, name: &str, lines: &[String]) -> anyhow::Result<PathBuf> {
        let path = self.work_dir.join(name);
        std::fs::write(&path, lines.join("\n") + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn login_script(page: &SignInPage) -> Script {
    Script {
        path: lua("form.lua"),
        args: vec![page.form_body()],
        headers: vec![
            format!("Content-Type: {FORM}"),
            format!("Cookie: {}", page.cookie_header()),
        ],
        timeout: Some(LOGIN_TIMEOUT.to_owned()),
    }
}

pub fn lua(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/flows/lua")
        .join(name)
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
