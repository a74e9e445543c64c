//! The baseline: one actix-web handler returning a small static JSON body,
//! served from this process with as many workers as Porteiro runs. Dividing
//! Porteiro's rate by this one leaves out the machine, the load generator and
//! actix-web itself, so what remains is Porteiro's own cost.

use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;

const BODY: &str = r#"{"status":"ok"}"#;

pub struct BareServer {
    handle: ServerHandle,
    thread: JoinHandle<std::io::Result<()>>,
    pub addr: SocketAddr,
}

async fn show_status() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(BODY)
}

impl BareServer {
    pub fn spawn(workers: usize) -> anyhow::Result<BareServer> {
        let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind the bare server")?;
        let addr = listener.local_addr()?;
        let (sender, receiver) = mpsc::channel();

        let thread = thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(|| App::new().route("/", web::get().to(show_status)))
                    .workers(workers)
                    // Ctrl-C belongs to the bench, which stops this server itself.
                    .disable_signals()
                    .listen(listener)?
                    .run();
                let _ = sender.send(server.handle());
                server.await
            })
        });

        let handle = receiver
            .recv_timeout(Duration::from_secs(10))
            .context("the bare server did not start")?;
        Ok(BareServer {
            handle,
            thread,
            addr,
        })
    }

    pub fn stop(self) -> anyhow::Result<()> {
        actix_web::rt::System::new().block_on(self.handle.stop(false));
        match self.thread.join() {
            Ok(result) => result.context("the bare server failed"),
            Err(_) => anyhow::bail!("the bare server's thread panicked"),
        }
    }
}
