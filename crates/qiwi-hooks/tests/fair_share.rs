//! Trust round 3, items 4 and 9, over real HTTP on 127.0.0.1: one address cannot hold every
//! connection while QIWI's deliveries wait, and a forwarded address that does not parse fails
//! the source check instead of being skipped.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use qiwi_hooks::{Event, Receiver, ServeConfig, SourcePolicy};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};

async fn connect_from(local: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(to).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holding_520_connections_leaves_room_for_qiwi() {
    let router = Receiver::new(keys()).router(|_: Event| async { Ok::<(), String>(()) });
    let app = axum::Router::new().nest("/qiwi", router);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    // Idle connections are held for 30 s: only the share limit can free room.
    let config = ServeConfig::default().header_read_timeout(Duration::from_secs(30));
    tokio::spawn(qiwi_hooks::serve_with(listener, app, config));

    // 520 connections from 127.0.0.2: more than the server's 512 slots; and 260 more from
    // 127.0.0.3, which gets only its share of 64 once the server is half full.
    let attacker: IpAddr = [127, 0, 0, 2].into();
    let mut held = Vec::new();
    for _ in 0..520 {
        held.push(connect_from(attacker, addr).await.unwrap());
    }
    let second: IpAddr = [127, 0, 0, 3].into();
    let mut also = Vec::new();
    for _ in 0..260 {
        also.push(connect_from(second, addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The server closed every connection past the address's share at once.
    let mut open = 0;
    for s in &mut held {
        let mut b = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_millis(5), s.read(&mut b)).await;
        open += usize::from(read.is_err());
    }
    // It may fill half the server (bursts are served), never more while it holds over 64.
    assert_eq!(open, 256, "one address holds at most half of the 512 slots");

    // QIWI, from another address, is served.
    let client = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 1]))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for i in 0..5 {
        let r = post(
            &client,
            &format!("http://{addr}/qiwi/p2p"),
            &bill_req(&format!("bill-share-{i}")),
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let mut open = 0;
    for s in &mut also {
        let mut b = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_millis(5), s.read(&mut b)).await;
        open += usize::from(read.is_err());
    }
    assert_eq!(
        open, 64,
        "a second address gets its share once the server is crowded"
    );
    drop(held);
}

#[tokio::test]
async fn forwarded_entries_that_are_not_addresses_fail_the_source_check() {
    let policy = SourcePolicy::qiwi_networks().trust_proxies(["127.0.0.1".parse().unwrap()]);
    let script = Arc::new(Script::default());
    let base = start(Receiver::new(keys()).with_sources(policy), script.clone()).await;
    let client = reqwest::Client::new();
    let url = format!("{base}/p2p");
    let send = |forwarded: &'static str, bill: &'static str| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let req = bill_req(bill);
            let mut r = client.post(&url).body(req.body.clone());
            for (k, v) in &req.headers {
                r = r.header(*k, v);
            }
            r.header("x-forwarded-for", forwarded)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // The balancer (127.0.0.1, trusted) says the client was one of QIWI's addresses.
    assert_eq!(send("91.213.51.7", "b-ok").await, 200);
    // A forged QIWI address further left, behind an entry that does not parse.
    for forwarded in [
        "91.213.51.7, 6.6.6.6:4444",
        "91.213.51.7, [2001:db8::6]:443",
        "91.213.51.7, unknown",
        "91.213.51.7, ",
    ] {
        assert_eq!(send(forwarded, "b-forged").await, 403, "{forwarded}");
    }
    assert_eq!(script.calls().len(), 1);
}

/// Whether the server keeps a connection from `local` open (it closes refused ones at once).
async fn kept(local: [u8; 4], addr: SocketAddr) -> Option<TcpStream> {
    let mut s = connect_from(IpAddr::from(local), addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut b = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_millis(50), s.read(&mut b)).await;
    read.is_err().then_some(s)
}

#[tokio::test]
async fn an_address_gets_its_share_back_as_its_connections_close() {
    let router = Receiver::new(keys()).router(|_: Event| async { Ok::<(), String>(()) });
    let app = axum::Router::new().nest("/qiwi", router);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let addr: SocketAddr = ([127, 0, 0, 1], listener.local_addr().unwrap().port()).into();
    // Four slots; once two are in use, one connection an address.
    let config = ServeConfig::default()
        .max_connections(4)
        .max_connections_per_address(1)
        .header_read_timeout(Duration::from_secs(30));
    tokio::spawn(qiwi_hooks::serve_with(listener, app, config));
    let (a, b, c) = ([127, 0, 0, 5], [127, 0, 0, 6], [127, 0, 0, 7]);

    // Below half, A may open two.
    let a1 = kept(a, addr).await.expect("a1");
    let a2 = kept(a, addr).await.expect("a2");
    // Half full now: B gets its one, A no third.
    let b1 = kept(b, addr).await.expect("b1");
    assert!(kept(a, addr).await.is_none(), "A is over its share");
    assert!(kept(b, addr).await.is_none(), "B is at its share");
    // A closes one of two: it still holds its share.
    drop(a2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(kept(a, addr).await.is_none(), "A still holds one");
    // A closes the other: its share is free again while the server is crowded.
    drop(a1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let c1 = kept(c, addr).await.expect("c1");
    let again = kept(a, addr).await;
    assert!(again.is_some(), "A's closed connections were given back");
    drop((b1, c1, again));
}
