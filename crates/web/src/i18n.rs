//! Translations (Fluent files under `locales/`, embedded at build time) and the
//! choice of language for a request: `?lang=` (which also sets the cookie), then
//! the `lang` cookie, then `Accept-Language`, then Russian.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

use axum::extract::{FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use propusk_core::Lang;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ru",
        // Unicode isolation marks around arguments confuse screen readers and
        // copy-paste of codes; our arguments are never right-to-left text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static LANG_IDS: LazyLock<[LanguageIdentifier; 2]> = LazyLock::new(|| {
    [
        LanguageIdentifier::from_bytes(b"ru").unwrap_or_default(),
        LanguageIdentifier::from_bytes(b"en").unwrap_or_default(),
    ]
});

fn lang_id(lang: Lang) -> &'static LanguageIdentifier {
    match lang {
        Lang::Ru => &LANG_IDS[0],
        Lang::En => &LANG_IDS[1],
    }
}

/// A translator for one language. Missing keys are logged and shown as the key
/// itself, so a gap is visible rather than blank; a test keeps them from shipping.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    pub fn get(&self, key: &str) -> String {
        LOCALES
            .try_lookup(lang_id(self.lang), key)
            .unwrap_or_else(|| missing(self.lang, key))
    }

    pub fn get_arg(&self, key: &str, name: &'static str, value: impl Display) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Borrowed(name), FluentValue::from(value.to_string()));
        LOCALES
            .try_lookup_with_args(lang_id(self.lang), key, &args)
            .unwrap_or_else(|| missing(self.lang, key))
    }
}

fn missing(lang: Lang, key: &str) -> String {
    tracing::warn!(%lang, key, "missing translation");
    key.to_owned()
}

/// Every message id defined for a language, read from the embedded catalogue.
pub fn keys(lang: Lang) -> Vec<String> {
    let source = match lang {
        Lang::Ru => include_str!("../locales/ru/main.ftl"),
        Lang::En => include_str!("../locales/en/main.ftl"),
    };
    source
        .lines()
        .filter(|l| !l.starts_with(['#', ' ', '\t']) && l.contains('='))
        .filter_map(|l| l.split('=').next())
        .map(|k| k.trim().to_owned())
        .collect()
}

/// The language chosen for this request, placed in the request's extensions by
/// [`choose_language`]. Handlers ask for it as an extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for UserLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<UserLang>()
            .copied()
            .unwrap_or(UserLang(Lang::Ru)))
    }
}

pub fn lang_from_parts(parts: &Parts) -> (Lang, bool) {
    if let Some(l) = query_lang(parts.uri.query()) {
        return (l, true);
    }
    if let Some(l) = cookie_lang(parts.headers.get_all(COOKIE).iter()) {
        return (l, false);
    }
    let accept = parts
        .headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    (
        accept
            .and_then(Lang::from_accept_language)
            .unwrap_or_default(),
        false,
    )
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| v.parse().ok())
}

fn cookie_lang<'a>(headers: impl Iterator<Item = &'a HeaderValue>) -> Option<Lang> {
    headers
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| v.parse().ok())
}

/// Middleware: decides the language once per request and, when it came from
/// `?lang=`, remembers it in a cookie for a year.
pub async fn choose_language(req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let (lang, from_query) = lang_from_parts(&parts);
    parts.extensions.insert(UserLang(lang));
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if from_query {
        let cookie = format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res.extensions_mut().insert(UserLang(lang));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_define_the_same_keys() {
        let mut ru = keys(Lang::Ru);
        let mut en = keys(Lang::En);
        ru.sort();
        en.sort();
        let only_ru: Vec<_> = ru.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !ru.contains(k)).collect();
        assert!(
            only_ru.is_empty() && only_en.is_empty(),
            "only in ru: {only_ru:?}; only in en: {only_en:?}"
        );
        assert!(ru.len() > 20);
        let mut dedup = ru.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), ru.len(), "a key is defined twice");
    }

    #[test]
    fn every_key_resolves_in_both_languages() {
        // Every variable any message uses, so messages with arguments resolve too.
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        for name in [
            "version", "id", "kinds", "reason", "tries", "seconds", "time", "page", "count",
            "code", "days",
        ] {
            args.insert(Cow::Borrowed(name), FluentValue::from("x"));
        }
        for lang in Lang::ALL {
            for key in keys(lang) {
                let text = LOCALES.try_lookup_with_args(lang_id(lang), &key, &args);
                assert!(
                    text.as_deref().is_some_and(|t| !t.trim().is_empty()),
                    "{lang}: {key}"
                );
            }
        }
    }

    #[test]
    fn catalogue_parses_without_errors() {
        for src in [
            include_str!("../locales/ru/main.ftl"),
            include_str!("../locales/en/main.ftl"),
        ] {
            if let Err((_, errors)) = fluent_syntax::parser::parse(src) {
                panic!("{errors:?}");
            }
        }
    }

    #[test]
    fn arguments_are_substituted_without_isolation_marks() {
        let t = Tr::new(Lang::En).get_arg("error-request-id", "id", "abc");
        assert_eq!(t, "Request code: abc");
        assert_eq!(Tr::new(Lang::Ru).get("nav-home"), "Главная");
    }

    #[test]
    fn language_choice_order() {
        assert_eq!(query_lang(Some("a=1&lang=en")), Some(Lang::En));
        assert_eq!(query_lang(Some("lang=xx")), None);
        let h = [HeaderValue::from_static("a=b; lang=en")];
        assert_eq!(cookie_lang(h.iter()), Some(Lang::En));
    }
}
