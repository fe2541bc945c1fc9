//! `/org/...`: the organization the session acts for. Every handler names
//! the action it performs in its [`OrgMember`] type; the extractor admits
//! only members whose role allows it (403 otherwise).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use propusk_core::org::{Action, Role};
use propusk_service::ServiceError;
use propusk_service::org::Acting;
use serde::Deserialize;
use uuid::Uuid;

use super::{PageCtx, render, service_error};
use crate::csrf::CsrfForm;
use crate::error::WebError;
use crate::org_access::{
    ManageMembers, ManageOrganization, OrgMember, View, ViewMembers, ViewRequisites,
};
use crate::state::AppState;

/// The organization's menu: only what the role allows.
pub(super) struct OrgNav {
    pub(super) name: String,
    pub(super) role: String,
    pub(super) requisites: bool,
    pub(super) members: bool,
    pub(super) clients: bool,
}

pub(super) fn nav(ctx: &PageCtx, a: &Acting) -> OrgNav {
    OrgNav {
        name: a.org_name.clone(),
        role: a.role.name(ctx.t.lang).to_owned(),
        requisites: a.may(Action::ViewRequisites),
        members: a.may(Action::ViewMembers),
        clients: a.may(Action::ManageClients),
    }
}

#[derive(askama::Template)]
#[template(path = "org.html")]
struct OverviewPage {
    ctx: PageCtx,
    nav: OrgNav,
    ogrn: String,
    head: bool,
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<View>,
) -> Result<Response, WebError> {
    let org = state
        .services
        .organization(&acting)
        .await
        .map_err(service_error)?;
    render(&OverviewPage {
        nav: nav(&ctx, &acting),
        ogrn: org.ogrn,
        head: acting.head,
        ctx,
    })
}

#[derive(askama::Template)]
#[template(path = "org_requisites.html")]
struct RequisitesPage {
    ctx: PageCtx,
    nav: OrgNav,
    rows: Vec<(String, String)>,
    fetched: String,
    can_refresh: bool,
    error: Option<String>,
}

async fn requisites_page(
    state: &AppState,
    ctx: PageCtx,
    acting: &Acting,
    error: Option<String>,
) -> Result<RequisitesPage, WebError> {
    let org = state
        .services
        .organization(acting)
        .await
        .map_err(service_error)?;
    let x = &org.extract;
    let head = format!(
        "{} {} {}, {}",
        x.head.last_name, x.head.first_name, x.head.middle_name, x.head.position
    );
    let rows = [
        ("org-full-name", x.full_name.clone()),
        ("org-ogrn", format!("{} ({})", x.ogrn, x.ogrn_date)),
        ("org-inn", x.inn.clone()),
        ("org-kpp", x.kpp.clone()),
        ("org-address", x.address.clone()),
        ("org-okved", format!("{} {}", x.okved_code, x.okved_name)),
        ("org-head", head),
        ("org-status", x.status.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (ctx.t.get(k), v))
    .collect();
    Ok(RequisitesPage {
        nav: nav(&ctx, acting),
        rows,
        fetched: propusk_service::format::moscow_time(org.fetched_at),
        can_refresh: acting.may(Action::ManageOrganization),
        error,
        ctx,
    })
}

pub async fn requisites(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ViewRequisites>,
) -> Result<Response, WebError> {
    render(&requisites_page(&state, ctx, &acting, None).await?)
}

pub async fn refresh(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageOrganization>,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    match state.services.refresh_organization(&acting).await {
        Ok(()) => Ok(Redirect::to("/org/requisites").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let error = super::first_problem(&problems, lang);
            // Requisites are shown to administrators, who may refresh.
            let body = render(&requisites_page(&state, ctx, &acting, error).await?)?;
            Ok((StatusCode::SERVICE_UNAVAILABLE, body).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}

struct MemberLine {
    account: String,
    name: String,
    role: &'static str,
    role_name: String,
    head: bool,
    since: String,
}

struct InvitationLine {
    id: String,
    hint: String,
    role: String,
    state: String,
    open: bool,
    until: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    role: String,
}

impl InviteForm {
    /// The form as first shown: by phone, as an operator.
    fn blank() -> InviteForm {
        InviteForm {
            channel: "phone".into(),
            role: Role::Operator.as_str().into(),
            value: String::new(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "org_members.html")]
struct MembersPage {
    ctx: PageCtx,
    nav: OrgNav,
    members: Vec<MemberLine>,
    invitations: Vec<InvitationLine>,
    manage: bool,
    roles: Vec<(&'static str, String)>,
    form: InviteForm,
    errors: std::collections::HashMap<&'static str, String>,
    notice: Option<String>,
}

impl MembersPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

async fn members_page(
    state: &AppState,
    ctx: PageCtx,
    acting: &Acting,
    form: InviteForm,
    errors: std::collections::HashMap<&'static str, String>,
    notice: Option<String>,
) -> Result<MembersPage, WebError> {
    let lang = ctx.t.lang;
    // A manager may always see whom they manage.
    let (members, invitations) = state
        .services
        .org_members(acting)
        .await
        .map_err(service_error)?;
    let members = members
        .into_iter()
        .map(|m| MemberLine {
            account: m.account_id.to_string(),
            name: m.name,
            role: m.role.as_str(),
            role_name: m.role.name(lang).to_owned(),
            head: m.head,
            since: propusk_service::format::moscow_time(m.since),
        })
        .collect();
    let invitations = invitations
        .into_iter()
        .map(|i| InvitationLine {
            id: i.id.to_string(),
            hint: i.hint,
            role: i.role.name(lang).to_owned(),
            state: ctx.t.get(&format!("org-invitation-{}", i.state)),
            open: i.state == "open",
            until: propusk_service::format::moscow_time(i.expires_at),
        })
        .collect();
    Ok(MembersPage {
        nav: nav(&ctx, acting),
        members,
        invitations,
        manage: acting.may(Action::ManageMembers),
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.name(lang).to_owned()))
            .collect(),
        form,
        errors,
        notice,
        ctx,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct MembersQuery {
    done: Option<String>,
}

pub async fn members(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ViewMembers>,
    Query(q): Query<MembersQuery>,
) -> Result<Response, WebError> {
    let notice = match q.done.as_deref() {
        Some("invited") => Some(ctx.t.get("org-invited")),
        Some("changed") => Some(ctx.t.get("org-changed")),
        _ => None,
    };
    let form = InviteForm::blank();
    render(&members_page(&state, ctx, &acting, form, Default::default(), notice).await?)
}

pub async fn invite(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageMembers>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    match state
        .services
        .invite_to_org(&acting, &form.channel, &form.value, &form.role)
        .await
    {
        Ok(_) => Ok(Redirect::to("/org/members?done=invited").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let errors = problems
                .iter()
                .map(|p| (p.field, p.message(lang).to_owned()))
                .collect();
            let kept = InviteForm {
                value: form.value.chars().take(80).collect(),
                ..form
            };
            let body = render(&members_page(&state, ctx, &acting, kept, errors, None).await?)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(service_error(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    account: String,
    #[serde(default)]
    role: String,
}

fn uuid_field(s: &str) -> Result<Uuid, WebError> {
    Uuid::parse_str(s.trim()).map_err(|_| WebError::NotFound)
}

/// A refusal on one of the member forms: the page again with the reason on top.
async fn member_refusal(
    state: &AppState,
    ctx: PageCtx,
    acting: &Acting,
    problems: Vec<propusk_service::FieldProblem>,
) -> Result<Response, WebError> {
    let lang = ctx.t.lang;
    let notice = super::first_problem(&problems, lang);
    let form = InviteForm::blank();
    let body = render(&members_page(state, ctx, acting, form, Default::default(), notice).await?)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

pub async fn change_role(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageMembers>,
    CsrfForm(form): CsrfForm<MemberForm>,
) -> Result<Response, WebError> {
    let account = uuid_field(&form.account)?;
    match state
        .services
        .set_member_role(&acting, account, &form.role)
        .await
    {
        Ok(()) => Ok(Redirect::to("/org/members?done=changed").into_response()),
        Err(ServiceError::Invalid(p)) => member_refusal(&state, ctx, &acting, p).await,
        Err(e) => Err(service_error(e)),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    ctx: PageCtx,
    OrgMember { acting, .. }: OrgMember<ManageMembers>,
    CsrfForm(form): CsrfForm<MemberForm>,
) -> Result<Response, WebError> {
    let account = uuid_field(&form.account)?;
    match state.services.remove_member(&acting, account).await {
        Ok(()) => Ok(Redirect::to("/org/members?done=changed").into_response()),
        Err(ServiceError::Invalid(p)) => member_refusal(&state, ctx, &acting, p).await,
        Err(e) => Err(service_error(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct InvitationForm {
    #[serde(default)]
    invitation: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    OrgMember { acting, .. }: OrgMember<ManageMembers>,
    CsrfForm(form): CsrfForm<InvitationForm>,
) -> Result<Response, WebError> {
    let id = uuid_field(&form.invitation)?;
    state
        .services
        .revoke_invitation(&acting, id)
        .await
        .map_err(service_error)?;
    Ok(Redirect::to("/org/members?done=changed").into_response())
}
