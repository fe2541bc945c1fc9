use propusk_core::Lang;
use time::OffsetDateTime;

/// One wrong form field, with its message in both languages (the caller picks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub code: &'static str,
    pub ru: String,
    pub en: String,
}

impl FieldProblem {
    pub fn new(
        field: &'static str,
        code: &'static str,
        message: impl Fn(Lang) -> String,
    ) -> FieldProblem {
        FieldProblem {
            field,
            code,
            ru: message(Lang::Ru),
            en: message(Lang::En),
        }
    }

    /// A problem with fixed texts in both languages.
    pub fn text(field: &'static str, code: &'static str, ru: &str, en: &str) -> FieldProblem {
        FieldProblem {
            field,
            code,
            ru: ru.to_owned(),
            en: en.to_owned(),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldProblem>),
    #[error("too many requests; retry at {retry_at}")]
    RateLimited { retry_at: OffsetDateTime },
    #[error("wrong code, {tries_left} tries left")]
    WrongCode { tries_left: u32 },
    #[error("code expired or none active")]
    CodeExpired,
    #[error("no tries left for this code")]
    CodeExhausted,
    #[error("conflicts with existing data")]
    Conflict,
    #[error("not found")]
    NotFound,
    /// The caller may not do this (an organization role that does not allow it).
    #[error("forbidden")]
    Forbidden,
    /// A link that is unknown, used, expired or altered: all look the same.
    #[error("link invalid or expired")]
    LinkInvalid,
    /// Wrong login or password: the same error whichever it was.
    #[error("wrong login or password")]
    BadCredentials,
    /// A TOTP, backup or SMS code at the factor step was not right.
    #[error("wrong second-factor code")]
    WrongFactorCode,
    #[error("sign-in locked until {until}")]
    Locked { until: OffsetDateTime },
    /// The password was right but the account cannot be used.
    #[error("account is {0:?}")]
    AccountUnavailable(propusk_core::account::AccountStatus),
    #[error("storage: {0}")]
    Store(#[from] propusk_store::StoreError),
    /// A protocol error for an OAuth client (RFC 6749 §5.2 and kin).
    #[error("{0}")]
    OAuth(propusk_oidc::OAuthError),
    #[error("internal: {0}")]
    Internal(String),
    /// A read under a consent that is not allowed, and why.
    #[error("consent: {0}")]
    Consent(propusk_core::consent::read::Denial),
    /// A registry that data must come from did not answer.
    #[error("a source registry is unavailable")]
    SourceUnavailable,
    /// The citizen's identity is not confirmed, so there is nothing
    /// verified to release.
    #[error("identity not verified")]
    NotVerified,
}

impl ServiceError {
    /// A form refused for one field, with fixed texts in both languages.
    pub fn field(field: &'static str, code: &'static str, ru: &str, en: &str) -> ServiceError {
        ServiceError::Invalid(vec![FieldProblem::text(field, code, ru, en)])
    }
}

/// For failures that are ours, not the caller's (a sealed value that will
/// not open, a join error): the text goes to the log only.
pub(crate) fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}
