//! Pages for people. Each handler builds one template struct around a
//! [`PageCtx`] (language, links, asset URLs) and returns it rendered.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use propusk_core::Lang;

use crate::error::WebError;
use crate::i18n::{Tr, UserLang};

pub mod access;
pub mod admin;
pub mod authorize;
pub mod business;
pub mod cabinet;
pub mod confirm;
pub mod consents;
pub mod contacts;
pub mod data;
pub mod dev;
pub mod end_session;
pub mod factor;
pub mod home;
pub mod login;
pub mod org;
pub mod org_client;
pub mod org_clients;
pub mod org_monitoring;
pub mod org_partner;
pub mod org_webhooks;
pub mod orgs;
mod partner_view;
pub mod profile;
pub mod protocol_params;
pub mod recover;
pub mod register;

/// The page routes. Only they get the CSRF cookie and the session look-up:
/// the API and probes are not browser forms and should not set cookies.
pub fn router(state: &crate::state::AppState) -> axum::Router<crate::state::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", get(home::page))
        .route("/register", get(register::form).post(register::submit))
        .route(
            "/register/confirm",
            get(register::confirm_form).post(register::confirm),
        )
        .route("/register/resend", post(register::resend))
        .route("/register/done", get(register::done))
        .route(
            "/register/email",
            get(register::email_link).post(register::email_confirm),
        )
        .route("/register/email-sent", get(register::email_sent))
        .route("/login", get(login::form).post(login::submit))
        .route("/login/factor", get(factor::form).post(factor::submit))
        .route("/login/factor/sms", post(factor::send_sms))
        .route("/logout", post(login::logout))
        .route("/recover", get(recover::start_form).post(recover::start))
        .route("/recover/email-sent", get(recover::email_sent))
        .route("/recover/code", get(recover::code_form).post(recover::code))
        .route(
            "/recover/password",
            get(recover::password_form).post(recover::password),
        )
        .route("/cabinet/security/password", post(factor::change_password))
        .route("/cabinet/security", get(factor::security))
        .route("/cabinet/security/totp", post(factor::start_totp))
        .route("/cabinet/security/totp/confirm", post(factor::confirm_totp))
        .route("/cabinet/security/totp/disable", post(factor::disable_totp))
        .route(
            "/cabinet/security/backup-codes",
            post(factor::new_backup_codes),
        )
        .route("/cabinet/security/delete", post(factor::request_deletion))
        .route(
            "/cabinet/security/delete/cancel",
            post(factor::cancel_deletion),
        )
        .route("/cabinet", get(cabinet::overview))
        .route("/cabinet/profile", get(profile::form).post(profile::save))
        .route("/cabinet/business", get(business::show).post(business::add))
        .route("/cabinet/confirm", get(confirm::show).post(confirm::start))
        .route("/cabinet/confirm/callback", get(confirm::callback))
        .route("/cabinet/orgs", get(orgs::show))
        .route("/cabinet/data", get(data::show))
        .route("/cabinet/data/export", post(data::export))
        .route("/cabinet/data/corrections", post(data::request_correction))
        .route(
            "/cabinet/data/corrections/{id}/withdraw",
            post(data::withdraw_correction),
        )
        .route("/cabinet/data/copies/delete", post(data::delete_copies))
        .route("/cabinet/access", get(access::show))
        .route("/cabinet/access/revoke", post(access::revoke))
        .route("/cabinet/consents", get(consents::list))
        .route("/cabinet/consents/{id}", get(consents::show))
        .route("/cabinet/consents/{id}/code", post(consents::send_code))
        .route("/cabinet/consents/{id}/approve", post(consents::approve))
        .route("/cabinet/consents/{id}/decline", post(consents::decline))
        .route("/cabinet/consents/{id}/pause", post(consents::pause))
        .route("/cabinet/consents/{id}/resume", post(consents::resume))
        .route("/cabinet/consents/{id}/revoke", post(consents::revoke))
        .route("/cabinet/consents/{id}/receipt.jwt", get(consents::receipt))
        .route(
            "/cabinet/consents/{id}/receipt.pdf",
            get(consents::receipt_pdf),
        )
        .route("/consents/receipts/{id}", get(consents::public_receipt))
        .route(
            "/oauth/authorize",
            get(authorize::start).post(authorize::start),
        )
        .route("/oauth/authorize/decision", post(authorize::decide))
        .route("/oauth/authorize/code", post(authorize::send_code))
        .route(
            "/oauth/logout",
            get(end_session::ask).post(end_session::ask),
        )
        .route("/oauth/logout/confirm", post(end_session::confirm))
        .route("/cabinet/orgs/register", post(orgs::register))
        .route("/cabinet/orgs/switch", post(orgs::switch))
        .route("/cabinet/orgs/invitations/answer", post(orgs::answer))
        .route("/org", get(org::overview))
        .route("/org/requisites", get(org::requisites))
        .route("/org/requisites/refresh", post(org::refresh))
        .route("/org/members", get(org::members))
        .route("/org/members/invite", post(org::invite))
        .route("/org/members/role", post(org::change_role))
        .route("/org/members/remove", post(org::remove))
        .route("/org/invitations/revoke", post(org::revoke))
        .route("/org/clients", get(org_clients::show))
        .route("/org/clients/create", post(org_clients::create))
        .route(
            "/org/clients/{client_id}",
            get(org_client::show).post(org_client::update),
        )
        .route(
            "/org/clients/{client_id}/disable",
            post(org_client::disable),
        )
        .route("/org/clients/{client_id}/enable", post(org_client::enable))
        .route(
            "/org/clients/{client_id}/monitoring",
            get(org_monitoring::show),
        )
        .route(
            "/org/clients/{client_id}/monitoring/reads.csv",
            get(org_monitoring::reads_csv),
        )
        .route(
            "/org/clients/{client_id}/monitoring/consents.csv",
            get(org_monitoring::consents_csv),
        )
        .route("/org/clients/{client_id}/webhooks", get(org_webhooks::show))
        .route(
            "/org/clients/{client_id}/webhooks/redeliver",
            post(org_webhooks::redeliver),
        )
        .route("/org/partner", get(org_partner::show))
        .route("/org/partner/apply", post(org_partner::apply))
        .route("/admin", get(admin::queue))
        .route("/admin/login", get(admin::login_form).post(admin::login))
        .route("/admin/logout", post(admin::logout))
        .route("/admin/applications/{id}", get(admin::application))
        .route("/admin/applications/{id}/approve", post(admin::approve))
        .route("/admin/applications/{id}/reject", post(admin::reject))
        .route("/cabinet/contacts", get(contacts::show))
        .route("/cabinet/contacts/phone", post(contacts::add_phone))
        .route(
            "/cabinet/contacts/phone/confirm",
            post(contacts::confirm_phone),
        )
        .route("/cabinet/contacts/email", post(contacts::add_email))
        .route("/cabinet/sessions", get(cabinet::sessions))
        .route("/cabinet/sessions/end", post(cabinet::end_session))
        .route("/cabinet/sessions/end-others", post(cabinet::end_others))
        .route("/cabinet/history", get(cabinet::history))
        .route("/dev/outbox", get(dev::outbox_page))
        .route("/dev/outbox.json", get(dev::outbox_json))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::session::resolve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.settings.is_https(),
            crate::csrf::ensure_token,
        ))
}

/// What every page's layout needs.
pub struct PageCtx {
    pub t: Tr,
    pub lang: &'static str,
    pub other_lang: &'static str,
    /// This page in the other language.
    pub switch_url: String,
    pub css_url: &'static str,
    pub icon_url: &'static str,
    pub logo_url: &'static str,
    pub version: &'static str,
    /// Someone is signed in: the header offers the cabinet and signing out.
    pub signed_in: bool,
    /// For the sign-out form in the header.
    pub csrf: String,
}

impl PageCtx {
    pub fn new(lang: Lang, path: &str) -> PageCtx {
        let other = match lang {
            Lang::Ru => Lang::En,
            Lang::En => Lang::Ru,
        };
        // A path like `//host` would make the link protocol-relative: another site.
        let path = if path.starts_with('/') && !path.starts_with("//") {
            path
        } else {
            "/"
        };
        PageCtx {
            t: Tr::new(lang),
            lang: lang.code(),
            other_lang: other.code(),
            switch_url: format!("{path}?lang={}", other.code()),
            css_url: crate::assets::url("app.css"),
            icon_url: crate::assets::url("favicon.svg"),
            logo_url: crate::assets::url("logo.svg"),
            version: env!("CARGO_PKG_VERSION"),
            signed_in: false,
            csrf: String::new(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let UserLang(lang) = UserLang::from_request_parts(parts, state).await?;
        let mut ctx = PageCtx::new(lang, parts.uri.path());
        ctx.signed_in = crate::session::signed_in(parts);
        if let Some(t) = parts.extensions.get::<crate::csrf::CsrfToken>() {
            ctx.csrf = t.0.clone();
        }
        Ok(ctx)
    }
}

/// Renders a page template; a template failure is an internal error.
/// A form that carries nothing but its CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

/// A service error that no page handles itself.
pub fn service_error(e: propusk_service::ServiceError) -> WebError {
    use propusk_service::ServiceError;
    match e {
        ServiceError::Store(s) => s.into(),
        ServiceError::NotFound => WebError::NotFound,
        ServiceError::Forbidden => WebError::Forbidden,
        other => WebError::Internal(other.to_string()),
    }
}

/// What to say next to a one-time code field when the code was refused
/// (wrong, expired, or out of tries); `None` for any other error.
pub fn code_refusal(e: &propusk_service::ServiceError, t: &Tr) -> Option<String> {
    use propusk_service::ServiceError;
    match e {
        ServiceError::WrongCode { tries_left } => {
            Some(t.get_arg("register-code-wrong", "tries", tries_left))
        }
        ServiceError::CodeExpired => Some(t.get("register-code-expired")),
        ServiceError::CodeExhausted => Some(t.get("register-code-exhausted")),
        _ => None,
    }
}

/// The first refusal's text in the page's language, for forms that show one message.
pub fn first_problem(problems: &[propusk_service::FieldProblem], lang: Lang) -> Option<String> {
    problems.first().map(|p| p.message(lang).to_owned())
}

/// `Retry-After` on a refusal that lasts until `until`: whole seconds, at
/// least one.
pub fn retry_after(res: &mut Response, until: time::OffsetDateTime, now: time::OffsetDateTime) {
    let seconds = (until - now).whole_seconds().max(1);
    if let Ok(v) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
}

pub fn render(page: &impl Template) -> Result<Response, WebError> {
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_link_never_leaves_the_site() {
        assert_eq!(
            PageCtx::new(Lang::Ru, "//evil.example/x").switch_url,
            "/?lang=en"
        );
        assert_eq!(
            PageCtx::new(Lang::En, "/cabinet").switch_url,
            "/cabinet?lang=ru"
        );
    }
}
