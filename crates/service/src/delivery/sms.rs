//! SMS through an HTTP gateway. The adapter speaks one simple protocol:
//! `POST URL` with JSON `{"to": "+79161234567", "text": "…"}` and, when a
//! token is set, `Authorization: Bearer TOKEN`; any 2xx means accepted. A
//! provider with another API gets a small proxy or a second adapter here.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsError {
    Permanent(String),
    Transient(String),
}

pub struct Gateway {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Gateway {
    pub fn new(url: &str, token: Option<String>) -> Result<Gateway, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("sms-gateway-url: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("sms-gateway-url: must be http:// or https://".into());
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("sms gateway client: {e}"))?;
        Ok(Gateway {
            client,
            url: url.to_owned(),
            token,
        })
    }

    pub async fn send(&self, to: &str, text: &str) -> Result<(), SmsError> {
        let mut req = self
            .client
            .post(&self.url)
            .json(&serde_json::json!({ "to": to, "text": text }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            // 4xx but 408/429: the request itself is wrong; retrying will not help.
            Ok(r)
                if r.status().is_client_error()
                    && r.status().as_u16() != 408
                    && r.status().as_u16() != 429 =>
            {
                Err(SmsError::Permanent(format!(
                    "gateway answered {}",
                    r.status().as_u16()
                )))
            }
            Ok(r) => Err(SmsError::Transient(format!(
                "gateway answered {}",
                r.status().as_u16()
            ))),
            Err(e) if e.is_timeout() => Err(SmsError::Transient("gateway timeout".into())),
            Err(_) => Err(SmsError::Transient("gateway unreachable".into())),
        }
    }
}
