//! PostgreSQL connections kept for the next statement (`src/store/hot.rs`), seen on the wire: a
//! proxy between the pool and the server counts the messages the pool sends. A statement that
//! ran to completion is not followed by the pool's release ping (a Sync of its own); a failed one
//! is. Transactions and statements never wait on the pool while a connection is kept, closing
//! does not wait for kept connections, and a kept connection the server dropped is replaced.

use crate::common::TestDb;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use audit_hub::store::{Backend, ConnectOptions, Db};
use sea_query::{Expr, ExprTrait, Query, SelectStatement};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Front-end messages the pool sent, by type byte.
#[derive(Clone, Default)]
struct Sent(Arc<Mutex<HashMap<u8, usize>>>);

impl Sent {
    fn syncs(&self) -> usize {
        self.0
            .lock()
            .expect("counts")
            .get(&b'S')
            .copied()
            .unwrap_or(0)
    }
    fn reset(&self) {
        self.0.lock().expect("counts").clear();
    }
}

/// Reads the front end's stream: untyped start-up messages (an SSL request, then the start-up
/// message, protocol 3.0), then typed ones, counting each by its type byte.
#[derive(Default)]
struct Frames {
    buf: Vec<u8>,
    started: bool,
}

impl Frames {
    fn feed(&mut self, bytes: &[u8], sent: &Sent) {
        self.buf.extend_from_slice(bytes);
        loop {
            let header = if self.started { 5 } else { 8 };
            if self.buf.len() < header {
                return;
            }
            let (kind, len_at) = if self.started {
                (Some(self.buf[0]), 1)
            } else {
                (None, 0)
            };
            let len = u32::from_be_bytes(self.buf[len_at..len_at + 4].try_into().expect("4"));
            let total = len_at + len as usize;
            if self.buf.len() < total {
                return;
            }
            match kind {
                Some(k) => *sent.0.lock().expect("counts").entry(k).or_default() += 1,
                None => {
                    let code = u32::from_be_bytes(self.buf[4..8].try_into().expect("4"));
                    self.started = code == 196_608;
                }
            }
            self.buf.drain(..total);
        }
    }
}

/// A TCP proxy to `upstream` that counts what clients send; returns its address.
async fn counting_proxy(upstream: String, sent: Sent) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address").to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                continue;
            };
            let sent = sent.clone();
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                });
                let mut frames = Frames::default();
                let mut chunk = vec![0u8; 16 * 1024];
                while let Ok(n) = client_read.read(&mut chunk).await {
                    if n == 0 || server_write.write_all(&chunk[..n]).await.is_err() {
                        break;
                    }
                    frames.feed(&chunk[..n], &sent);
                }
            });
        }
    });
    addr
}

/// A pool of `max` connections on the test database, through a counting proxy.
async fn through_proxy(t: &TestDb, max: u32) -> (Db, Sent) {
    let rest = t.url.split_once('@').expect("user@host in the URL").1;
    let (host, name) = rest.split_once('/').expect("host/database in the URL");
    let sent = Sent::default();
    let proxy = counting_proxy(host.to_owned(), sent.clone()).await;
    let url = format!("{}@{proxy}/{name}", t.url.split_once('@').expect("@").0);
    let db = Db::connect(&ConnectOptions {
        url,
        max_connections: max,
        statement_timeout: None,
    })
    .await
    .expect("connect through the proxy");
    (db, sent)
}

fn select(expr: &str) -> SelectStatement {
    Query::select().expr(Expr::cust(expr.to_owned())).to_owned()
}

/// `SELECT CAST($1 AS BIGINT)`: one prepared statement that succeeds or fails at execution
/// with its parameter.
fn number(text: &str) -> SelectStatement {
    Query::select()
        .expr(Expr::val(text.to_owned()).cast_as("BIGINT"))
        .to_owned()
}

async fn backend_pid(db: &Db) -> i64 {
    db.scalar_i64(&select("CAST(pg_backend_pid() AS BIGINT)"))
        .await
        .expect("backend pid")
}

/// Long enough for a spawned release (the pool's ping) to reach the server.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn statements_on_a_kept_connection_send_one_sync_each_and_a_failed_one_is_pinged() {
    let t = TestDb::new().await;
    if t.backend() != Backend::Postgres {
        return;
    }
    let (db, sent) = through_proxy(&t, 2).await;
    let one = number("1");
    // Prepared and kept.
    assert_eq!(db.scalar_i64(&one).await.expect("first"), 1);
    settle().await;

    struct Case {
        name: &'static str,
        statement: SelectStatement,
        fails: bool,
        /// Syncs sent for the statement and whatever follows its release.
        syncs: usize,
    }
    let cases = [
        Case {
            name: "a statement that ran to completion: its own Sync only",
            statement: one.clone(),
            fails: false,
            syncs: 1,
        },
        Case {
            name: "a statement the server refused: its Sync and the pool's ping",
            statement: number("not a number"),
            fails: true,
            syncs: 2,
        },
        Case {
            name: "the next statement on the pinged connection: its own Sync only",
            statement: one.clone(),
            fails: false,
            syncs: 1,
        },
    ];
    for case in cases {
        sent.reset();
        let got = db.scalar_i64(&case.statement).await;
        assert_eq!(got.is_err(), case.fails, "{}: {got:?}", case.name);
        settle().await;
        assert_eq!(sent.syncs(), case.syncs, "{}", case.name);
    }

    // Twenty statements in a row: twenty Syncs, where the pool's own release would send forty.
    sent.reset();
    for _ in 0..20 {
        db.scalar_i64(&one).await.expect("statement");
    }
    settle().await;
    assert_eq!(sent.syncs(), 20);
    db.close().await;

    // Four callers at once on one connection: each waits in line and is handed the connection
    // the one before it finished with, still without a ping.
    let (db, sent) = through_proxy(&t, 1).await;
    db.scalar_i64(&one).await.expect("prepared");
    settle().await;
    sent.reset();
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (db, one) = (db.clone(), one.clone());
            tokio::spawn(async move {
                for _ in 0..10 {
                    db.scalar_i64(&one).await.expect("statement");
                }
            })
        })
        .collect();
    for c in callers {
        c.await.expect("caller");
    }
    settle().await;
    assert_eq!(sent.syncs(), 40, "four callers, ten statements each");
    db.close().await;
}

#[tokio::test]
async fn nothing_waits_on_the_pool_while_a_connection_is_kept() {
    let t = TestDb::new().await;
    if t.backend() != Backend::Postgres {
        return;
    }
    // One connection: whoever comes next must get the kept one, or wait for the pool's 30 s.
    let (db, _) = through_proxy(&t, 1).await;
    let one = number("1");
    db.scalar_i64(&one).await.expect("kept");
    let mut tx = tokio::time::timeout(Duration::from_secs(5), db.begin())
        .await
        .expect("a transaction after a kept statement waited")
        .expect("begin");
    tx.scalar_i64(&one).await.expect("in the transaction");
    tx.commit().await.expect("commit");
    db.scalar_i64(&one).await.expect("kept again");
    let snapshot = tokio::time::timeout(Duration::from_secs(5), db.begin_snapshot())
        .await
        .expect("a snapshot after a kept statement waited")
        .expect("snapshot");
    drop(snapshot);

    // Many at once on the one connection: statements, failing statements and transactions.
    let mut tasks = Vec::new();
    for i in 0..30 {
        let db = db.clone();
        let one = one.clone();
        tasks.push(tokio::spawn(async move {
            match i % 3 {
                0 => db.scalar_i64(&one).await.map(|_| ()),
                1 => db.scalar_i64(&number("x")).await.map(|_| ()).or(Ok(())),
                _ => {
                    let mut tx = db.begin().await?;
                    tx.scalar_i64(&one).await?;
                    tx.commit().await
                }
            }
        }));
    }
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("one of many at once waited on the pool")
            .expect("task")
            .expect("statement");
    }
    tokio::time::timeout(Duration::from_secs(5), db.close())
        .await
        .expect("closing waited for a kept connection");

    // Two connections: a transaction holds one and a slow statement the other when a caller
    // comes and finds nothing kept. It waits on the pool, so the connection the statement ends
    // with goes to it through the pool instead of being kept while it waits.
    let (db, _) = through_proxy(&t, 2).await;
    let mut tx = db.begin().await.expect("begin");
    tx.scalar_i64(&one).await.expect("in the transaction");
    let slow = {
        let db = db.clone();
        tokio::spawn(async move {
            db.scalar_i64(&select("(SELECT CAST(1 AS BIGINT) FROM pg_sleep(0.3))"))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(2), db.scalar_i64(&one))
        .await
        .expect("a caller waiting on the pool was passed over for a kept connection")
        .expect("statement");
    slow.await.expect("slow").expect("slow statement");
    tx.commit().await.expect("commit");
    db.close().await;
}

#[tokio::test]
async fn a_kept_connection_the_server_dropped_is_replaced() {
    let t = TestDb::new().await;
    if t.backend() != Backend::Postgres {
        return;
    }
    let (db, _) = through_proxy(&t, 2).await;
    let kept = backend_pid(&db).await;
    assert_eq!(
        backend_pid(&db).await,
        kept,
        "the next statement takes the kept connection"
    );
    let ended =
        t.db.scalar_i64(&select(&format!(
            "CAST(CAST(pg_terminate_backend({kept}) AS INTEGER) AS BIGINT)"
        )))
        .await
        .expect("terminate");
    assert_eq!(ended, 1);
    // Kept idle past the pool's own threshold: pinged before use, found gone, replaced.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let now = backend_pid(&db).await;
    assert_ne!(now, kept);
    settle().await;
    assert_eq!(
        db.pool_usage(),
        (1, 1),
        "the dropped connection is no longer counted"
    );
    db.close().await;
}
