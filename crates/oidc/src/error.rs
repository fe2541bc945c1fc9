//! OAuth 2.0 error codes (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6;
//! RFC 6750 §3.1; RFC 9449; RFC 9396; RFC 7009) and the HTTP status each
//! takes at the token-style endpoints.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    AccountSelectionRequired,
    InvalidRequestUri,
    InvalidDpopProof,
    UseDpopNonce,
    InvalidToken,
    InsufficientScope,
    UnsupportedTokenType,
    InvalidAuthorizationDetails,
    SlowDown,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidClient => "invalid_client",
            InvalidGrant => "invalid_grant",
            UnauthorizedClient => "unauthorized_client",
            UnsupportedGrantType => "unsupported_grant_type",
            UnsupportedResponseType => "unsupported_response_type",
            InvalidScope => "invalid_scope",
            AccessDenied => "access_denied",
            ServerError => "server_error",
            TemporarilyUnavailable => "temporarily_unavailable",
            LoginRequired => "login_required",
            ConsentRequired => "consent_required",
            InteractionRequired => "interaction_required",
            AccountSelectionRequired => "account_selection_required",
            InvalidRequestUri => "invalid_request_uri",
            InvalidDpopProof => "invalid_dpop_proof",
            UseDpopNonce => "use_dpop_nonce",
            InvalidToken => "invalid_token",
            InsufficientScope => "insufficient_scope",
            UnsupportedTokenType => "unsupported_token_type",
            InvalidAuthorizationDetails => "invalid_authorization_details",
            SlowDown => "slow_down",
        }
    }

    /// The status at the token, PAR, introspection and revocation endpoints.
    /// `invalid_client` is 401 (RFC 6749 §5.2 allows it always and requires
    /// it for header authentication; one status is simpler for clients).
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidClient | InvalidToken => 401,
            InsufficientScope | AccessDenied => 403,
            SlowDown => 429,
            ServerError => 500,
            TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

/// An error for the client, with a description for its developers (never
/// personal data, never why a token is inactive).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> OAuthError {
        OAuthError {
            code,
            description: description.into(),
        }
    }

    pub fn request(description: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidRequest, description)
    }

    pub fn client(description: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidClient, description)
    }

    pub fn grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidGrant, description)
    }

    /// The RFC 6749 §5.2 body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        })
    }
}
