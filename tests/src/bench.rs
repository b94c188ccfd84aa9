//! What the load benchmarks share: a server pinned to one thread whose CPU time is measured,
//! and a keep-alive load generator on another (this machine has two cores).

use std::time::{Duration, Instant};

/// A thread's CPU time so far (user + system), from `/proc` (Linux; `None` elsewhere).
pub fn thread_cpu(task: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{task}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The id of the calling thread under `/proc/self/task`.
pub fn current_task() -> String {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// Runs `server` on a new thread with a single-threaded runtime; returns that thread's task id
/// (for [`thread_cpu`]).
pub fn serve_on_one_thread<F, Fut>(server: F) -> String
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tx.send(current_task()).expect("the caller waits");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(server());
    });
    rx.recv().expect("the server thread starts")
}

/// A bare hyper server answering every request with `body` as JSON, on its own thread: the
/// floor servers are measured against, and the server clients are measured on. Returns its base
/// URL and thread.
pub fn serve_json(body: Vec<u8>) -> (String, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("an address");
    let body = bytes::Bytes::from(body);
    let task = serve_on_one_thread(move || async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let service = hyper::service::service_fn(move |_req| {
                    let body = body.clone();
                    async move {
                        hyper::Response::builder()
                            .header("content-type", "application/json")
                            .body(http_body_util::Full::new(body))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), task)
}

/// What a load run measured.
#[derive(Debug)]
pub struct Report {
    /// Requests answered 2xx.
    pub ok: usize,
    /// Other answers and failures.
    pub failed: usize,
    /// Wall time.
    pub seconds: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

/// Sends requests built by `request(client, i)` over `connections` keep-alive connections for
/// `seconds`, on the calling thread.
pub fn load<F>(connections: usize, seconds: u64, request: F) -> Report
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let request = std::sync::Arc::new(request);
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .build()
            .expect("a client");
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (client, next, request) = (client.clone(), next.clone(), request.clone());
            tasks.push(tokio::spawn(async move {
                let (mut ok, mut failed, mut lat) = (0usize, 0usize, Vec::new());
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let t = Instant::now();
                    match request(&client, i).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            ok += 1;
                        }
                        _ => failed += 1,
                    }
                    lat.push(t.elapsed());
                }
                (ok, failed, lat)
            }));
        }
        let (mut ok, mut failed, mut lat) = (0, 0, Vec::new());
        for t in tasks {
            let (o, f, l) = t.await.expect("a load task");
            ok += o;
            failed += f;
            lat.extend(l);
        }
        let seconds = start.elapsed().as_secs_f64();
        lat.sort();
        let pick = |q: f64| {
            lat.get(((lat.len() as f64 - 1.0) * q) as usize)
                .copied()
                .unwrap_or_default()
        };
        Report {
            ok,
            failed,
            seconds,
            p50: pick(0.5),
            p99: pick(0.99),
        }
    })
}
