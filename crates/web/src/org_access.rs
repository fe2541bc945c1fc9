//! Organization pages admit a person through [`OrgMember`]: signed in, with
//! the session switched to an organization they belong to, whose role
//! allows the action the handler names in its type. Handlers never compare
//! roles themselves.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::org::Action;
use propusk_service::org::{Acting, Context};

use crate::error::WebError;
use crate::pages::service_error;
use crate::session::Citizen;
use crate::state::AppState;

/// An action as a type, so that a handler's signature says what it needs.
pub trait Permission {
    const ACTION: Action;
}

macro_rules! permissions {
    ($($name:ident => $action:ident),+ $(,)?) => {
        $(
            #[derive(Debug)]
            pub struct $name;
            impl Permission for $name {
                const ACTION: Action = Action::$action;
            }
        )+
    };
}

permissions! {
    View => View,
    ViewRequisites => ViewRequisites,
    ViewMembers => ViewMembers,
    ManageMembers => ManageMembers,
    ManageOrganization => ManageOrganization,
    ManageClients => ManageClients,
}

/// A member acting for the session's organization, allowed to do `P`.
#[derive(Debug)]
pub struct OrgMember<P> {
    pub acting: Acting,
    /// Private: only the extractor makes one.
    allowed: PhantomData<P>,
}

impl<P: Permission + Send> FromRequestParts<AppState> for OrgMember<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Citizen(current) = Citizen::from_request_parts(parts, state).await?;
        match state.services.context(&current).await {
            Ok(Context::Org(acting)) if acting.may(P::ACTION) => Ok(OrgMember {
                acting,
                allowed: PhantomData,
            }),
            Ok(Context::Org(_) | Context::Lost) => Err(WebError::Forbidden.into_response()),
            // Not acting for any organization yet: choose one first.
            Ok(Context::Personal) => Err(Redirect::to("/cabinet/orgs").into_response()),
            Err(e) => Err(service_error(e).into_response()),
        }
    }
}
