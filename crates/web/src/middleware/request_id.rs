//! `x-request-id`: kept when a client or proxy sends a sane one (so a request can
//! be followed across systems), replaced when it is absent or could smuggle
//! anything odd into our logs.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-request-id";

pub async fn ensure(mut req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(HEADER)
        .is_some_and(|v| is_sane(v.as_bytes()));
    let id = if ok {
        req.headers().get(HEADER).cloned()
    } else {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()).ok()
    };
    let Some(id) = id else {
        return next.run(req).await;
    };
    req.headers_mut().insert(HEADER, id.clone());
    let mut res = next.run(req).await;
    res.headers_mut().insert(HEADER, id);
    res
}

fn is_sane(v: &[u8]) -> bool {
    (1..=64).contains(&v.len())
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sanity() {
        assert!(super::is_sane(b"0194c4e2-7d2a-7b3c-9a55-0f4b1e2d3c4a"));
        assert!(!super::is_sane(b""));
        assert!(!super::is_sane(b"a b"));
        assert!(!super::is_sane(b"x\"}{"));
        assert!(!super::is_sane(&[b'a'; 65]));
    }
}
