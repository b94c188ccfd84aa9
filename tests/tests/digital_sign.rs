//! The payout signer against OpenSSL: keys OpenSSL writes (PKCS#1 and PKCS#8) load, and the
//! `X-Digital-Sign` of the exact bytes a payout client sent verifies with
//! `openssl dgst -sha256 -verify`.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use qiwi_core::secret::PayinApiKey;
use qiwi_sys::payout;
use qiwi_sys::signer::{DigitalSign, KeyError, RsaSigningKey};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A directory of its own under the system's temporary one, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("qiwi-digital-sign-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// A new directory holding a 2048-bit RSA key OpenSSL made, as PKCS#8 PEM in `file`.
    fn with_key(file: &str) -> TempDir {
        let dir = TempDir::new();
        let bits = "rsa_keygen_bits:2048";
        openssl(
            &dir.0,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                bits,
                "-out",
                file,
            ],
        );
        dir
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed (Debian's openssl package)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn openssl_verifies_the_signature_of_the_bytes_sent() {
    let dir = TempDir::with_key("pkcs8.pem");
    let d = dir.0.as_path();
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "pkcs8.pem",
            "-traditional",
            "-out",
            "pkcs1.pem",
        ],
    );
    openssl(
        d,
        &["pkey", "-in", "pkcs8.pem", "-pubout", "-out", "public.pem"],
    );
    let pkcs8 = std::fs::read_to_string(d.join("pkcs8.pem")).unwrap();
    let pkcs1 = std::fs::read_to_string(d.join("pkcs1.pem")).unwrap();
    assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));

    for file in ["pkcs8.pem", "pkcs1.pem"] {
        let key = RsaSigningKey::from_pem_file(d.join(file)).unwrap();
        assert_eq!(key.bits(), 2048);
        let shown = format!("{key:?}");
        assert_eq!(shown, "RsaSigningKey(***, 2048 bits)");

        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(500))
            .mount(&server)
            .await;
        let client = payout::Client::builder(PayinApiKey::new("k").unwrap(), DigitalSign::new(key))
            .base_url(server.uri())
            .build()
            .unwrap();
        let _ = client
            .create_payout()
            .site_id("site")
            .payment_id("p-1")
            .payout_id("po-1")
            .body(
                serde_json::from_value::<payout::types::CreatePayoutRequest>(serde_json::json!({
                    "amount": {"value": "10.50", "currency": "RUB"}, "comment": "Выплата",
                    "receiverData": {"type": "CARD", "pan": "4000000000000002"}
                }))
                .unwrap(),
            )
            .send()
            .await;
        // A payout is keyed by its id, so the spec lets the transport repeat it after a 500:
        // every attempt carries the same bytes and the same signature.
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 3);
        let sent = &requests[0];
        for again in &requests[1..] {
            assert_eq!(again.body, sent.body);
            assert_eq!(
                again.headers["x-digital-sign"],
                sent.headers["x-digital-sign"]
            );
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(sent.headers["x-digital-sign"].as_bytes())
            .unwrap();
        std::fs::write(d.join("body"), &sent.body).unwrap();
        std::fs::write(d.join("signature"), &signature).unwrap();
        openssl(
            d,
            &[
                "dgst",
                "-sha256",
                "-verify",
                "public.pem",
                "-signature",
                "signature",
                "body",
            ],
        );

        // One byte changed, and OpenSSL refuses it.
        let mut tampered = sent.body.clone();
        tampered[0] ^= 1;
        std::fs::write(d.join("tampered"), &tampered).unwrap();
        let refused = Command::new("openssl")
            .args([
                "dgst",
                "-sha256",
                "-verify",
                "public.pem",
                "-signature",
                "signature",
                "tampered",
            ])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(!refused.status.success(), "{file}");
    }
}

#[test]
fn what_is_not_a_usable_private_key_is_refused_without_echoing_it() {
    let dir = TempDir::with_key("key.pem");
    let d = dir.0.as_path();
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "key.pem",
            "-passout",
            "pass:x",
            "-out",
            "encrypted.pem",
        ],
    );
    openssl(
        d,
        &["pkey", "-in", "key.pem", "-pubout", "-out", "public.pem"],
    );
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.pem",
        ],
    );
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    let good = read("key.pem");
    let cut = &good[..good.len() / 2];
    for (what, text) in [
        ("encrypted", read("encrypted.pem")),
        ("public", read("public.pem")),
        ("EC", read("ec.pem")),
        ("cut", cut.to_owned()),
        ("empty", String::new()),
        ("garbled", good.replace("-----\n", "-----\n!!")),
    ] {
        let err = RsaSigningKey::from_pem(&text).expect_err(what);
        assert!(
            matches!(err, KeyError::Pem(_) | KeyError::Key(_)),
            "{what}: {err:?}"
        );
        let shown = format!("{err} {err:?}");
        let body_line = good.lines().nth(1).unwrap();
        assert!(!shown.contains(body_line), "{what}: {shown}");
    }
    assert!(matches!(
        RsaSigningKey::from_pem_file(d.join("missing.pem")),
        Err(KeyError::Io(_))
    ));
}
