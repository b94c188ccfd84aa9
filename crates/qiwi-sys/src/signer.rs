//! The payout API's `X-Digital-Sign`: Base64 of an RSA PKCS#1 v1.5 SHA-256 signature over the
//! exact body bytes sent, made with the merchant's private key (aws-lc-rs; not the `rsa`
//! crate, RUSTSEC-2023-0071).
//!
//! ```no_run
//! # fn run(api_key: qiwi_core::secret::PayinApiKey) -> Result<(), Box<dyn std::error::Error>> {
//! use qiwi_sys::payout;
//! use qiwi_sys::signer::{DigitalSign, RsaSigningKey};
//!
//! let key = RsaSigningKey::from_pem_file(std::env::var("QIWI_PAYOUT_KEY_FILE")?)?;
//! let client = payout::Client::builder(api_key, DigitalSign::new(key)).build()?;
//! # let _ = client;
//! # Ok(()) }
//! ```

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use reqwest::header::HeaderValue;
use zeroize::Zeroizing;

use crate::transport::{Request, RequestSigner};

/// The header the payout API reads the signature from.
pub const HEADER: &str = "x-digital-sign";

/// Why a private key could not be loaded. Never contains key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file could not be read.
    #[error("the key file could not be read: {0}")]
    Io(#[from] std::io::Error),
    /// Not a PEM private key this signer reads.
    #[error("not an RSA private key in PEM: {0}")]
    Pem(&'static str),
    /// The key inside the PEM is not a usable RSA key (aws-lc refuses keys under 2048 bits).
    #[error("the RSA key is not usable: {0}")]
    Key(String),
}

/// The merchant's RSA private key, from PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE
/// KEY`). A secret: `Debug` shows only its size, and the decoded bytes are wiped when read.
pub struct RsaSigningKey(KeyPair);

impl std::fmt::Debug for RsaSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaSigningKey(***, {} bits)", self.bits())
    }
}

impl RsaSigningKey {
    /// Reads the key from PEM text.
    ///
    /// # Errors
    /// [`KeyError::Pem`] for text that is not one unencrypted PEM private key,
    /// [`KeyError::Key`] for a key aws-lc refuses.
    pub fn from_pem(pem: &str) -> Result<RsaSigningKey, KeyError> {
        let (label, der) = pem_body(pem)?;
        let pair = match label {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&der),
            "ENCRYPTED PRIVATE KEY" => {
                return Err(KeyError::Pem(
                    "the key is encrypted; decrypt it first (openssl pkcs8 -in key.pem -nocrypt)",
                ));
            }
            _ => {
                return Err(KeyError::Pem(
                    "expected BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY",
                ));
            }
        };
        pair.map(RsaSigningKey)
            .map_err(|e| KeyError::Key(e.to_string()))
    }

    /// A new 2048-bit key, for a test server or a demo (QIWI is given the key pair's public
    /// half, [`RsaSigningKey::public_key_der`]).
    ///
    /// # Errors
    /// Only when aws-lc's key generation fails.
    pub fn generate() -> Result<RsaSigningKey, KeyError> {
        KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map(RsaSigningKey)
            .map_err(|e| KeyError::Key(e.to_string()))
    }

    /// The public key as PEM (`BEGIN PUBLIC KEY`).
    pub fn public_key_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.public_key_der());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }

    /// Reads the key from a PEM file.
    ///
    /// # Errors
    /// As [`RsaSigningKey::from_pem`], and [`KeyError::Io`] when the file cannot be read.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<RsaSigningKey, KeyError> {
        let text = Zeroizing::new(std::fs::read_to_string(path)?);
        RsaSigningKey::from_pem(&text)
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.0.public_modulus_len() * 8
    }

    /// The public key, DER (`SubjectPublicKeyInfo`), to give QIWI or a test server.
    pub fn public_key_der(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsDer as _;
        self.0
            .public_key()
            .as_der()
            .map(|der| der.as_ref().to_vec())
            .unwrap_or_default()
    }

    /// The signature of `message`: RSA PKCS#1 v1.5 over SHA-256.
    ///
    /// # Errors
    /// Only when aws-lc fails, which a key it accepted does not.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut signature = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| "the RSA signature could not be made".to_owned())?;
        Ok(signature)
    }
}

/// The one PEM block in `pem`: its label and decoded bytes (wiped when dropped).
fn pem_body(pem: &str) -> Result<(&str, Zeroizing<Vec<u8>>), KeyError> {
    let text = pem.trim();
    let rest = text
        .strip_prefix("-----BEGIN ")
        .ok_or(KeyError::Pem("no -----BEGIN line"))?;
    let (label, rest) = rest
        .split_once("-----")
        .ok_or(KeyError::Pem("a malformed -----BEGIN line"))?;
    let end = format!("-----END {label}-----");
    let body = rest
        .trim_end()
        .strip_suffix(end.as_str())
        .ok_or(KeyError::Pem("no matching -----END line, or text after it"))?;
    if body.contains("Proc-Type:") {
        return Err(KeyError::Pem(
            "the key is encrypted; decrypt it first (openssl rsa -in key.pem)",
        ));
    }
    let base64: Zeroizing<String> =
        Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64.as_bytes())
        .map_err(|_| KeyError::Pem("the body is not Base64"))?;
    Ok((label, Zeroizing::new(der)))
}

/// Signs every request's exact body bytes with the merchant's key into `X-Digital-Sign`, as
/// the payout API requires; the transport calls it once per request, after every other
/// header, so each retry carries the same signature.
#[derive(Debug)]
pub struct DigitalSign(RsaSigningKey);

impl DigitalSign {
    /// A signer with `key`.
    pub fn new(key: RsaSigningKey) -> DigitalSign {
        DigitalSign(key)
    }
}

impl RequestSigner for DigitalSign {
    fn sign(&self, request: &mut Request, operation: &str) -> Result<(), String> {
        // Body-less requests (a GET) are signed over no bytes, as QIWI's examples do.
        let body = match request.body() {
            None => &[][..],
            Some(body) => body.as_bytes().ok_or_else(|| {
                format!("{operation}: a streamed body cannot be signed; send it as bytes")
            })?,
        };
        let signature = base64::engine::general_purpose::STANDARD.encode(self.0.sign(body)?);
        let value = HeaderValue::from_str(&signature)
            .map_err(|_| "a Base64 signature is always a valid header".to_owned())?;
        request.headers_mut().insert(HEADER, value);
        Ok(())
    }
}
