//! A transaction's receipt: a small, valid PDF (one page, the payment's lines in Helvetica),
//! and its e-mailing, recorded as a delivery (wallet-api.md §3.4, §3.5).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::SharedState;
use crate::error::QiwiError;
use crate::wire::read_json;

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/payment-history/v1/transactions/{txn_id}/cheque/file",
            get(file),
        )
        .route(
            "/payment-history/v1/transactions/{txn_id}/cheque/send",
            post(send),
        )
}

/// A one-page PDF showing `lines`: every object where its cross-reference table says.
pub fn pdf(lines: &[String]) -> Vec<u8> {
    // PDF strings escape backslashes and parentheses; the receipt is ASCII.
    let escape = |t: &str| {
        t.chars()
            .filter(char::is_ascii)
            .collect::<String>()
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    let mut text = String::from("BT /F1 12 Tf 50 780 Td 16 TL\n");
    for line in lines {
        text.push_str(&format!("({}) Tj T*\n", escape(line)));
    }
    text.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[derive(Deserialize)]
struct ChequeQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    format: Option<String>,
}

fn not_found() -> QiwiError {
    QiwiError::new(
        StatusCode::NOT_FOUND,
        "payment-history",
        "transaction.not.found",
        "Transaction not found",
    )
}

async fn file(
    State(s): State<SharedState>,
    Path(txn_id): Path<i64>,
    Query(q): Query<ChequeQuery>,
    headers: HeaderMap,
) -> Response {
    let owner = match s.authorize_wallet(&headers) {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    if q.format.as_deref().is_some_and(|f| f != "PDF") {
        return QiwiError::new(
            StatusCode::BAD_REQUEST,
            "payment-history",
            "cheque.not.available",
            "Only PDF receipts in the sandbox",
        )
        .with_cause("format", "PDF")
        .into_response();
    }
    let Some(lines) = s.receipt_lines(&owner, txn_id, q.kind.as_deref()) else {
        return not_found().into_response();
    };
    ([(header::CONTENT_TYPE, "application/pdf")], pdf(&lines)).into_response()
}

#[derive(Deserialize)]
struct SendQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn send(
    State(s): State<SharedState>,
    Path(txn_id): Path<i64>,
    Query(q): Query<SendQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let owner = match s.authorize_wallet(&headers) {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let request: qiwi_sys::wallet::types::ChequeSendRequest =
        match read_json(&body, "payment-history") {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        };
    if !request.email.contains('@') {
        return QiwiError::new(
            StatusCode::BAD_REQUEST,
            "payment-history",
            "validation.error",
            "Validation error",
        )
        .with_cause("email", "an e-mail address")
        .into_response();
    }
    if s.receipt_lines(&owner, txn_id, q.kind.as_deref()).is_none() {
        return not_found().into_response();
    }
    // Nothing leaves localhost: the e-mail is recorded with the callbacks.
    s.callbacks.send(
        "wallet",
        None,
        vec![("To".into(), request.email)],
        format!("receipt of transaction {txn_id}"),
        crate::callbacks::Schedule::Wallet,
    );
    StatusCode::CREATED.into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pdf_says_where_each_object_is() {
        let pdf = super::pdf(&["Receipt (test)".into(), "100.50 RUB".into()]);
        let text = String::from_utf8(pdf.clone()).unwrap();
        assert!(text.starts_with("%PDF-1.4\n") && text.ends_with("%%EOF\n"));
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[startxref..].starts_with("xref\n"));
        for (i, line) in text[startxref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                text[offset..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
        assert!(text.contains("(Receipt \\(test\\)) Tj"));
    }
}
