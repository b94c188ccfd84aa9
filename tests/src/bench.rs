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

/// hyper's pooled client without TLS: the floor client benchmarks are measured against.
pub type HyperClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Empty<bytes::Bytes>,
>;

/// A new [`HyperClient`].
pub fn hyper_client() -> HyperClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// A single-threaded runtime: the client's work stays on the calling thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The number in environment variable `name`, or `default`.
pub fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// What one client load run ([`run`]) measured.
pub struct Measured {
    /// Requests answered.
    pub answered: usize,
    /// Wall time.
    pub seconds: f64,
    /// The client thread's CPU time, where `/proc` tells it.
    pub cpu: Option<Duration>,
}

impl Measured {
    /// Answers per second.
    pub fn rate(&self) -> f64 {
        self.answered as f64 / self.seconds
    }

    /// The client thread's CPU time per request, in µs.
    pub fn cpu_us(&self) -> f64 {
        self.cpu.map_or(f64::NAN, |c| {
            c.as_secs_f64() * 1e6 / self.answered.max(1) as f64
        })
    }
}

/// `connections` requests kept in flight for `seconds` on the calling thread, which does all of
/// the client's work (its runtime has one thread), so the thread's CPU time is the client's.
pub fn run<F, Fut>(connections: usize, seconds: u64, request: F) -> Measured
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let rt = runtime();
    let request = std::rc::Rc::new(request);
    let answered = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let local = tokio::task::LocalSet::new();
    let task = current_task();
    let before = thread_cpu(&task);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    for _ in 0..connections {
        let (request, answered) = (request.clone(), answered.clone());
        local.spawn_local(async move {
            while Instant::now() < deadline {
                request().await;
                answered.set(answered.get() + 1);
            }
        });
    }
    rt.block_on(local);
    Measured {
        answered: answered.get(),
        seconds: start.elapsed().as_secs_f64(),
        cpu: thread_cpu(&task)
            .zip(before)
            .map(|(a, b)| a.saturating_sub(b)),
    }
}

/// A client load run to compare: its name and how to run it once.
pub type Variant<'a> = (&'a str, &'a dyn Fn() -> Measured);

/// Runs each variant, alternating, twice, printing each run (`unit`/s and client CPU per
/// request); the mean rate and mean CPU µs per request of each, in order.
pub fn alternate(variants: &[Variant<'_>], unit: &str) -> (Vec<f64>, Vec<f64>) {
    let mut measured: Vec<Vec<Measured>> = variants.iter().map(|_| Vec::new()).collect();
    for round in 1..=2 {
        for (i, (name, f)) in variants.iter().enumerate() {
            let m = f();
            println!(
                "  run {round} {name:28} {:>8.0} {unit}/s  client CPU {:>7.1} µs/request",
                m.rate(),
                m.cpu_us()
            );
            measured[i].push(m);
        }
    }
    let mean =
        |ms: &[Measured], f: fn(&Measured) -> f64| ms.iter().map(f).sum::<f64>() / ms.len() as f64;
    let rate = measured.iter().map(|m| mean(m, Measured::rate)).collect();
    let cpu = measured.iter().map(|m| mean(m, Measured::cpu_us)).collect();
    (rate, cpu)
}

/// The floor of a request: a `GET` of `url` through `client` with QIWI's bearer token and
/// `Accept: application/json`, the body read whole and not decoded.
pub async fn bare_get(client: &HyperClient, url: &str, token: &str) -> bytes::Bytes {
    use http_body_util::BodyExt as _;
    let url: hyper::Uri = url.parse().expect("a URI");
    let request = hyper::Request::get(url)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json")
        .body(http_body_util::Empty::new())
        .expect("a request");
    let answer = client.request(request).await.expect("an answer");
    assert!(answer.status().is_success());
    let body = answer.into_body().collect().await.expect("a body");
    body.to_bytes()
}

/// hyper's pooled client for requests with a body.
pub type HyperBodyClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
>;

/// A new [`HyperBodyClient`].
pub fn hyper_body_client() -> HyperBodyClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// The floor of a request with a body: a `PUT` of `body` (JSON) to `url` with QIWI's bearer
/// token, the answer read whole and not decoded.
pub async fn bare_put(
    client: &HyperBodyClient,
    url: &str,
    token: &str,
    body: bytes::Bytes,
) -> bytes::Bytes {
    use http_body_util::BodyExt as _;
    let url: hyper::Uri = url.parse().expect("a URI");
    let request = hyper::Request::put(url)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(body))
        .expect("a request");
    let answer = client.request(request).await.expect("an answer");
    assert!(answer.status().is_success());
    let body = answer.into_body().collect().await.expect("a body");
    body.to_bytes()
}
