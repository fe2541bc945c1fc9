//! A partner application as the operator's page and the organization's
//! page both show it.

use propusk_oidc::scopes;
use propusk_service::format::moscow_time;
use propusk_service::oauth::partner::ApplicationView;

use super::PageCtx;

pub struct ScopeLine {
    pub name: String,
    pub text: String,
    pub reason: String,
}

pub struct AppLines {
    pub id: String,
    pub state: &'static str,
    pub state_label: String,
    pub full_name: String,
    pub short_name: String,
    pub ogrn: String,
    pub inn: String,
    pub kpp: String,
    pub address: String,
    pub okved: String,
    pub org_status: String,
    pub head_position: String,
    pub fetched: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<ScopeLine>,
    pub ip_allow: Vec<String>,
    /// `kid · alg`, or the `jwks_uri`.
    pub keys: Vec<String>,
    pub sandbox_client_id: String,
    pub client_id: Option<String>,
    pub reason: Option<String>,
    pub submitted: String,
    pub decided: Option<String>,
}

pub fn lines(ctx: &PageCtx, a: &ApplicationView) -> AppLines {
    let b = &a.body;
    let keys = match (&b.jwks, &b.jwks_uri) {
        (_, Some(uri)) => vec![format!("jwks_uri: {uri}")],
        (Some(doc), None) => doc
            .get("keys")
            .and_then(|k| k.as_array())
            .map(|keys| {
                keys.iter()
                    .map(|k| {
                        let s = |n: &str| k.get(n).and_then(|v| v.as_str()).unwrap_or("—");
                        format!("{} · {} · {}", s("kid"), s("alg"), s("kty"))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        (None, None) => vec![],
    };
    AppLines {
        id: a.id.to_string(),
        state: a.state.as_str(),
        state_label: ctx.t.get(&format!("partner-state-{}", a.state.as_str())),
        full_name: b.legal.full_name.clone(),
        short_name: b.legal.short_name.clone(),
        ogrn: b.legal.ogrn.clone(),
        inn: b.legal.inn.clone(),
        kpp: b.legal.kpp.clone(),
        address: b.legal.address.clone(),
        okved: b.legal.okved.clone(),
        org_status: b.legal.status.clone(),
        head_position: b.legal.head_position.clone(),
        fetched: moscow_time(b.legal.fetched_at),
        client_name: b.client_name.clone(),
        redirect_uris: b.redirect_uris.clone(),
        scopes: b
            .scopes
            .iter()
            .map(|s| ScopeLine {
                text: scopes::find(&s.scope)
                    .map(|d| match ctx.t.lang {
                        propusk_core::Lang::Ru => d.ru,
                        propusk_core::Lang::En => d.en,
                    })
                    .unwrap_or_default()
                    .to_owned(),
                name: s.scope.clone(),
                reason: s.reason.clone(),
            })
            .collect(),
        ip_allow: b.ip_allow.clone(),
        keys,
        sandbox_client_id: a.sandbox_client_id.clone(),
        client_id: a.client_id.clone(),
        reason: a.reason.clone(),
        submitted: moscow_time(a.submitted_at),
        decided: a.decided_at.map(moscow_time),
    }
}
