//! The Discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414),
//! naming only endpoints that exist.

use crate::Alg;
use crate::scopes;

pub const PAR_PATH: &str = "/oauth/par";
pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";
pub const USERINFO_PATH: &str = "/oauth/userinfo";
pub const INTROSPECT_PATH: &str = "/oauth/introspect";
pub const REVOKE_PATH: &str = "/oauth/revoke";
pub const JWKS_PATH: &str = "/jwks";
pub const END_SESSION_PATH: &str = "/oauth/logout";

pub fn document(issuer: &str) -> serde_json::Value {
    let algs: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
    let fapi: Vec<&str> = Alg::FAPI.iter().map(|a| a.as_str()).collect();
    let url = |p: &str| format!("{issuer}{p}");
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": url(AUTHORIZE_PATH),
        "pushed_authorization_request_endpoint": url(PAR_PATH),
        "token_endpoint": url(TOKEN_PATH),
        "userinfo_endpoint": url(USERINFO_PATH),
        "introspection_endpoint": url(INTROSPECT_PATH),
        "revocation_endpoint": url(REVOKE_PATH),
        "jwks_uri": url(JWKS_PATH),
        "end_session_endpoint": url(END_SESSION_PATH),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "scopes_supported": scopes::SCOPES.iter().filter(|s| !s.data_only()).map(|s| s.name).collect::<Vec<_>>(),
        "claims_supported": scopes::all_claims(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "token_endpoint_auth_signing_alg_values_supported": fapi,
        "introspection_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "require_pushed_authorization_requests": false,
        "dpop_signing_alg_values_supported": fapi,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "acr_values_supported": crate::ACR_VALUES,
        "claims_parameter_supported": false,
        "authorization_details_types_supported": crate::request::DETAILS_TYPES,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": true,
        "ui_locales_supported": ["ru", "en"],
        "service_documentation": url("/docs/partners"),
    })
}
