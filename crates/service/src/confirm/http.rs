//! The HTTP client Propusk uses towards partner banks, in the shape the
//! `openidconnect` crate asks for. Timeouts, connection failures and 5xx
//! answers are tried again, three times with growing, jittered waits; any
//! other answer goes back to the OIDC code as it came, and its status is
//! kept so that a 401 can be told from a 400.

use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::time::Duration;

use openidconnect::{HttpRequest, HttpResponse};

/// Tries after the first.
pub const RETRIES: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankHttpError {
    /// No answer in time, or no connection.
    #[error("bank unreachable: {0}")]
    Unreachable(&'static str),
    /// 5xx every time.
    #[error("bank answered HTTP {0}")]
    ServerError(u16),
    #[error("request not sent: {0}")]
    Request(String),
}

/// Shared by every call: one connection pool, no redirects followed (a
/// token endpoint that redirects is misbehaving).
#[derive(Debug, Clone)]
pub struct BankHttp {
    client: reqwest::Client,
    retry_base: Duration,
}

impl BankHttp {
    pub fn new(timeout: Duration, retry_base: Duration) -> Result<BankHttp, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(BankHttp { client, retry_base })
    }

    /// A call that remembers what it saw.
    pub fn call(&self) -> Call<'_> {
        Call {
            http: self,
            last_status: AtomicU16::new(0),
            tries: AtomicU32::new(0),
        }
    }

    fn wait(&self, retry: u32) -> Duration {
        // Equal jitter: half the doubled wait fixed, half random.
        let full = self.retry_base.saturating_mul(1 << retry.min(10));
        let share =
            f64::from(rand_core::RngCore::next_u32(&mut rand_core::OsRng)) / f64::from(u32::MAX);
        full / 2 + (full / 2).mul_f64(share)
    }
}

/// One exchange with a bank (which may be several HTTP requests).
#[derive(Debug)]
pub struct Call<'a> {
    http: &'a BankHttp,
    last_status: AtomicU16,
    tries: AtomicU32,
}

impl Call<'_> {
    /// The status of the last answer passed on (0 if none was).
    pub fn last_status(&self) -> u16 {
        self.last_status.load(Ordering::Relaxed)
    }

    /// HTTP requests sent, retries included.
    pub fn tries(&self) -> u32 {
        self.tries.load(Ordering::Relaxed)
    }

    pub async fn send(&self, req: HttpRequest) -> Result<HttpResponse, BankHttpError> {
        let mut retry = 0;
        loop {
            self.tries.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .http
                .client
                .request(req.method().clone(), req.uri().to_string())
                .headers(req.headers().clone())
                .body(req.body().clone())
                .send()
                .await;
            let failure = match sent {
                Ok(res) if !res.status().is_server_error() => {
                    let status = res.status();
                    let headers = res.headers().clone();
                    let body = res
                        .bytes()
                        .await
                        .map_err(|_| BankHttpError::Unreachable("body cut short"))?;
                    self.last_status.store(status.as_u16(), Ordering::Relaxed);
                    let mut out = HttpResponse::new(body.to_vec());
                    *out.status_mut() = status;
                    *out.headers_mut() = headers;
                    return Ok(out);
                }
                Ok(res) => BankHttpError::ServerError(res.status().as_u16()),
                Err(e) if e.is_timeout() => BankHttpError::Unreachable("timeout"),
                Err(e) if e.is_connect() => BankHttpError::Unreachable("connection refused"),
                Err(e) if e.is_builder() => return Err(BankHttpError::Request(e.to_string())),
                Err(_) => BankHttpError::Unreachable("connection failed"),
            };
            if retry >= RETRIES {
                return Err(failure);
            }
            retry += 1;
            tracing::info!(error = %failure, retry, "bank request failed; trying again");
            tokio::time::sleep(self.http.wait(retry)).await;
        }
    }
}

/// A named future type, not a closure: a closure's future type makes the
/// callers' futures fail the `Send` check axum needs.
impl<'c> openidconnect::AsyncHttpClient<'c> for Call<'_> {
    type Error = BankHttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, BankHttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_with_jitter_within_bounds() {
        let http = BankHttp::new(Duration::from_secs(1), Duration::from_millis(100)).unwrap();
        for retry in 1..=3 {
            let full = Duration::from_millis(100) * (1 << retry);
            for _ in 0..50 {
                let w = http.wait(retry);
                assert!(w >= full / 2 && w <= full, "{w:?} for retry {retry}");
            }
        }
    }
}
