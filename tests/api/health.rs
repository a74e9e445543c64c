use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{TestDb, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_and_readyz_answer_200_with_a_reachable_database() {
    let (app, _db) = spawn_app().await;

    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get_json("/readyz").await["status"], "ready");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_unknown_paths_get_a_json_404() {
    let (app, _db) = spawn_app().await;

    let response = app.get("/no-such-endpoint").await;

    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-request-id"].len(), 16);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

/// A TCP forwarder to PostgreSQL that the test can cut and restore, standing
/// in for a database that goes away and comes back.
struct Outage {
    port: u16,
    up: watch::Sender<bool>,
}

impl Outage {
    async fn forward_to(target: String) -> Outage {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, watch) = watch::channel(true);
        tokio::spawn(accept_loop(listener, target, watch));
        Outage { port, up }
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }
}

async fn accept_loop(listener: TcpListener, target: String, up: watch::Receiver<bool>) {
    while let Ok((mut client, _)) = listener.accept().await {
        if !*up.borrow() {
            let _ = client.shutdown().await;
            continue;
        }
        let Ok(mut server) = TcpStream::connect(&target).await else {
            continue;
        };
        let mut up = up.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = up.wait_for(|up| !*up) => {}
            }
        });
    }
}

#[tokio::test]
async fn readyz_is_503_while_postgres_is_unreachable_and_200_once_it_is_back() {
    let db = TestDb::new();
    if !db.is_postgres() {
        eprintln!("skipped: needs PORTEIRO_TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    // Arrange: the server reaches PostgreSQL only through the forwarder.
    let mut url = url::Url::parse(&db.url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let outage = Outage::forward_to(target).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(outage.port)).unwrap();
    let mut settings = db.settings();
    settings.database_url = url.to_string();
    let app = spawn_app_with(settings).await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    // Act and assert: down.
    outage.cut();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");

    // Act and assert: back, without a restart.
    outage.restore();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.get("/readyz").await.status() != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "readyz did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_gets_405() {
    let (app, _db) = spawn_app().await;

    let response = app
        .http
        .post(format!("{}/jwks.json", app.address))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 405);
}
