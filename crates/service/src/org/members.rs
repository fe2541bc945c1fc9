//! An organization's people: invitations by phone, email or SNILS (found
//! the way accounts are, by the vault's blind index), answering them, and
//! changing or removing members. The head stays an administrator.

use propusk_core::account::{ContactChannel, TrustLevel};
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::ident::{Email, Phone, Snils};
use propusk_core::org::{Action, Role};
use propusk_core::{Lang, account::Profile};
use propusk_store::orgs::{self, InvitationRow, MemberRow};
use propusk_store::outbox::Channel;
use propusk_store::{StoreError, accounts, audit};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{Acting, role_of};
use crate::notify::{self, Content, Link};
use crate::sessions::Current;
use crate::{Result, ServiceError, Services};

/// How long an invitation waits for its answer.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub account_id: Uuid,
    pub name: String,
    pub role: Role,
    pub head: bool,
    pub since: OffsetDateTime,
}

/// An invitation as the organization sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: Uuid,
    pub channel: String,
    pub hint: String,
    pub role: Role,
    pub state: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An invitation as the invited person sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyInvitation {
    pub id: Uuid,
    pub org_name: String,
    pub ogrn: String,
    pub role: Role,
    pub expires_at: OffsetDateTime,
}

/// Where an invitation goes: the normalized value, its blind index and a
/// hint that does not give the value away.
struct Target {
    channel: &'static str,
    value: String,
    index: String,
    hint: String,
}

fn mask_tail(value: &str, keep: usize) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(keep)..].iter().collect();
    format!("…{tail}")
}

fn mask_email(value: &str) -> String {
    match value.split_once('@') {
        Some((user, domain)) => {
            let first: String = user.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".into(),
    }
}

impl Services {
    fn target(&self, channel: &str, value: &str) -> Result<Target> {
        let bad = |e: String, en: String| ServiceError::field("value", "format", &e, &en);
        let (channel, value, hint) = match channel {
            "phone" => {
                let p = Phone::parse(value)
                    .map_err(|e| bad(e.message(Lang::Ru), e.message(Lang::En)))?;
                let v = p.as_str().to_owned();
                let h = format!("тел. {}", mask_tail(&v, 4));
                ("phone", v, h)
            }
            "email" => {
                let e = Email::parse(value)
                    .map_err(|e| bad(e.message(Lang::Ru), e.message(Lang::En)))?;
                let v = e.as_str().to_owned();
                let h = mask_email(&v);
                ("email", v, h)
            }
            "snils" => {
                let s = Snils::parse(value)
                    .map_err(|e| bad(e.message(Lang::Ru), e.message(Lang::En)))?;
                let v = s.as_str().to_owned();
                let h = format!("СНИЛС {}", mask_tail(&v, 2));
                ("snils", v, h)
            }
            _ => {
                return Err(ServiceError::field(
                    "channel",
                    "channel",
                    "Выберите, как пригласить: телефон, почта или СНИЛС.",
                    "Choose how to invite: phone, email or SNILS.",
                ));
            }
        };
        Ok(Target {
            channel,
            index: self.vault.blind_index_hex(channel, &value),
            value,
            hint,
        })
    }

    /// The account a target reaches today, if any.
    async fn account_of(&self, t: &Target) -> Result<Option<Uuid>> {
        Ok(match t.channel {
            "phone" => accounts::find_confirmed_contact(&self.db, ContactChannel::Phone, &t.index)
                .await?
                .map(|c| c.account_id),
            "email" => accounts::find_confirmed_contact(&self.db, ContactChannel::Email, &t.index)
                .await?
                .map(|c| c.account_id),
            _ => accounts::find_by_snils(&self.db, &t.index).await?,
        })
    }

    /// Every index an account's invitations may be addressed to.
    async fn indexes_of(&self, account_id: Uuid, profile: &Profile) -> Result<Vec<String>> {
        let mut out: Vec<String> = accounts::contacts_of(&self.db, account_id)
            .await?
            .into_iter()
            .filter(|c| c.confirmed_at.is_some() && c.removed_at.is_none())
            .map(|c| c.value_index)
            .collect();
        if let Some(s) = &profile.snils {
            out.push(self.vault.blind_index_hex("snils", s));
        }
        Ok(out)
    }

    pub async fn org_members(&self, acting: &Acting) -> Result<(Vec<Member>, Vec<Invitation>)> {
        acting.require(Action::ViewMembers)?;
        let org = orgs::get(&self.db, acting.org_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let mut members = Vec::new();
        for m in orgs::members(&self.db, acting.org_id).await? {
            let name = self
                .profile(m.account_id)
                .await
                .map(|p| p.name.full())
                .unwrap_or_default();
            members.push(Member {
                head: m.account_id == org.head_account_id,
                role: role_of(&m.role)?,
                account_id: m.account_id,
                since: m.added_at,
                name,
            });
        }
        let invitations = orgs::invitations_of(&self.db, acting.org_id)
            .await?
            .into_iter()
            .map(|i| {
                Ok(Invitation {
                    role: role_of(&i.role)?,
                    id: i.id,
                    channel: i.channel,
                    hint: i.target_hint,
                    state: i.state,
                    created_at: i.created_at,
                    expires_at: i.expires_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((members, invitations))
    }

    /// Invites someone by phone, email or SNILS to join with `role`.
    pub async fn invite_to_org(
        &self,
        acting: &Acting,
        channel: &str,
        value: &str,
        role: &str,
    ) -> Result<Uuid> {
        acting.require(Action::ManageMembers)?;
        let target = self.target(channel, value)?;
        let Some(role) = Role::parse(role) else {
            return Err(ServiceError::field(
                "role",
                "role",
                "Выберите роль.",
                "Choose a role.",
            ));
        };
        let now = self.clock.now();
        let invitee = self.account_of(&target).await?;
        if let Some(account) = invitee
            && orgs::member(&self.db, acting.org_id, account)
                .await?
                .is_some()
        {
            return Err(ServiceError::field(
                "value",
                "member",
                "Этот человек уже сотрудник организации.",
                "This person is already a member.",
            ));
        }
        let pending = orgs::open_for(&self.db, &target.index, now).await?;
        if pending.iter().any(|i| i.org_id == acting.org_id) {
            return Err(ServiceError::field(
                "value",
                "invited",
                "Приглашение по этому адресу уже ждёт ответа.",
                "An invitation to this address is already waiting for an answer.",
            ));
        }
        let id = Uuid::now_v7();
        let mut tx = self.db.begin().await?;
        orgs::invite(
            &mut tx,
            &InvitationRow {
                id,
                org_id: acting.org_id,
                channel: target.channel.into(),
                target_index: target.index.clone(),
                target_hint: target.hint.clone(),
                role: role.as_str().into(),
                state: "open".into(),
                invited_by: acting.account_id,
                created_at: now,
                expires_at: now + INVITATION_LIFETIME,
                decided_at: None,
                decided_by: None,
            },
        )
        .await?;
        let url = format!("{}/cabinet/orgs", self.public_base);
        let text = format!(
            "Пропуск: {} приглашает вас в сотрудники с ролью «{}». Ответить: {url}",
            acting.org_name,
            role.name(Lang::Ru)
        );
        let content = Content {
            subject: format!("Приглашение от {}", acting.org_name),
            body: text,
            link: Some(Link {
                label: "Ответить на приглашение".into(),
                url,
            }),
            lang: Lang::Ru,
        };
        match (target.channel, invitee) {
            ("phone", _) => {
                notify::enqueue(
                    &mut tx,
                    &self.vault,
                    Channel::Sms,
                    &target.value,
                    &content,
                    now,
                )
                .await?;
            }
            ("email", _) => {
                notify::enqueue(
                    &mut tx,
                    &self.vault,
                    Channel::Email,
                    &target.value,
                    &content,
                    now,
                )
                .await?;
            }
            (_, Some(account)) => self.notify_account(&mut tx, account, &content).await?,
            // A SNILS nobody holds yet: the invitation waits for them.
            (_, None) => {}
        }
        let event = NewEvent::new(Actor::citizen(acting.account_id), "org.member_invited")
            .subject(format!("organization:{}", acting.org_id))
            .details(serde_json::json!({ "invitation": id, "channel": target.channel, "role": role.as_str() }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Invitations waiting for the signed-in person.
    pub async fn my_invitations(&self, account_id: Uuid) -> Result<Vec<MyInvitation>> {
        let profile = self.profile(account_id).await?;
        let now = self.clock.now();
        let mut out: Vec<MyInvitation> = Vec::new();
        for index in self.indexes_of(account_id, &profile).await? {
            for i in orgs::open_for(&self.db, &index, now).await? {
                if out.iter().any(|o| o.id == i.id) {
                    continue;
                }
                let Some(org) = orgs::get(&self.db, i.org_id).await? else {
                    continue;
                };
                out.push(MyInvitation {
                    id: i.id,
                    org_name: org.name,
                    ogrn: org.ogrn,
                    role: role_of(&i.role)?,
                    expires_at: i.expires_at,
                });
            }
        }
        Ok(out)
    }

    /// Accepts or declines an invitation addressed to the signed-in person.
    pub async fn answer_invitation(&self, current: &Current, id: Uuid, accept: bool) -> Result<()> {
        let account = current.account_id;
        let profile = self.profile(account).await?;
        let mine = self.indexes_of(account, &profile).await?;
        let row = accounts::get(&self.db, account).await?;
        if accept && row.trust_level != Some(TrustLevel::Confirmed) {
            return Err(ServiceError::field(
                "invitation",
                "level",
                "Сотрудником организации может быть только подтверждённая учётная запись: подтвердите личность через банк-партнёр.",
                "Only a confirmed account can be an employee: confirm your identity through a partner bank.",
            ));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(inv) = orgs::invitation_in(&mut tx, id)
            .await?
            .filter(|i| i.state == "open" && i.expires_at > now && mine.contains(&i.target_index))
        else {
            return Err(ServiceError::NotFound);
        };
        let (state, action) = if accept {
            ("accepted", "org.invitation_accepted")
        } else {
            ("declined", "org.invitation_declined")
        };
        if accept {
            let added = orgs::add_member(
                &mut tx,
                &MemberRow {
                    org_id: inv.org_id,
                    account_id: account,
                    role: inv.role.clone(),
                    added_by: inv.invited_by,
                    added_at: now,
                },
            )
            .await;
            match added {
                // Already a member (another invitation won): nothing to add.
                Ok(()) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !orgs::decide(&mut tx, id, state, account, now).await? {
            return Err(ServiceError::NotFound);
        }
        let event = NewEvent::new(Actor::citizen(account), action)
            .subject(format!("organization:{}", inv.org_id))
            .details(serde_json::json!({ "invitation": id, "role": inv.role }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    fn keep_head(head: Uuid, account: Uuid) -> Result<()> {
        if account == head {
            return Err(ServiceError::field(
                "account",
                "head",
                "Руководитель по ЕГРЮЛ всегда остаётся администратором.",
                "The head per ЕГРЮЛ always stays an administrator.",
            ));
        }
        Ok(())
    }

    pub async fn set_member_role(&self, acting: &Acting, account: Uuid, role: &str) -> Result<()> {
        acting.require(Action::ManageMembers)?;
        let Some(role) = Role::parse(role) else {
            return Err(ServiceError::field(
                "role",
                "role",
                "Выберите роль.",
                "Choose a role.",
            ));
        };
        let org = orgs::get(&self.db, acting.org_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Self::keep_head(org.head_account_id, account)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !orgs::set_role(&mut tx, acting.org_id, account, role.as_str()).await? {
            return Err(ServiceError::NotFound);
        }
        let event = NewEvent::new(Actor::citizen(acting.account_id), "org.member_role_changed")
            .subject(format!("organization:{}", acting.org_id))
            .details(serde_json::json!({ "member": account, "role": role.as_str() }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_member(&self, acting: &Acting, account: Uuid) -> Result<()> {
        acting.require(Action::ManageMembers)?;
        let org = orgs::get(&self.db, acting.org_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Self::keep_head(org.head_account_id, account)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !orgs::remove_member(&mut tx, acting.org_id, account).await? {
            return Err(ServiceError::NotFound);
        }
        let event = NewEvent::new(Actor::citizen(acting.account_id), "org.member_removed")
            .subject(format!("organization:{}", acting.org_id))
            .details(serde_json::json!({ "member": account }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn revoke_invitation(&self, acting: &Acting, id: Uuid) -> Result<()> {
        acting.require(Action::ManageMembers)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let found = orgs::invitation_in(&mut tx, id)
            .await?
            .filter(|i| i.org_id == acting.org_id);
        if found.is_none() || !orgs::decide(&mut tx, id, "revoked", acting.account_id, now).await? {
            return Err(ServiceError::NotFound);
        }
        let event = NewEvent::new(Actor::citizen(acting.account_id), "org.invitation_revoked")
            .subject(format!("organization:{}", acting.org_id))
            .details(serde_json::json!({ "invitation": id }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_keep_only_a_tail() {
        assert_eq!(mask_tail("+79161234567", 4), "…4567");
        assert_eq!(mask_email("ivan@example.ru"), "i…@example.ru");
        assert_eq!(mask_tail("112-233-445 95", 2), "…95");
    }
}
