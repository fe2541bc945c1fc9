//! A consent's life (`../shared/CONSENT.md`): who may move it from which
//! state to which. No transition edits what was consented to; a change of
//! content is a new consent.

use serde::{Deserialize, Serialize};

use crate::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Asked for, waiting for the citizen.
    Requested,
    /// Approved and signed: reads are allowed.
    Active,
    /// Stopped for a while by the citizen.
    Paused,
    /// Refused by the citizen.
    Declined,
    /// Not answered before the request ran out.
    RequestExpired,
    /// Withdrawn by the citizen.
    Revoked,
    /// Ended by the partner or an operator.
    Cancelled,
    /// Its validity passed.
    Expired,
    /// A one-time consent after its read.
    Consumed,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Requested,
        Status::Active,
        Status::Paused,
        Status::Declined,
        Status::RequestExpired,
        Status::Revoked,
        Status::Cancelled,
        Status::Expired,
        Status::Consumed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Active => "active",
            Status::Paused => "paused",
            Status::Declined => "declined",
            Status::RequestExpired => "request_expired",
            Status::Revoked => "revoked",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Consumed => "consumed",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn is_terminal(self) -> bool {
        !matches!(self, Status::Requested | Status::Active | Status::Paused)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Status::Requested, Lang::Ru) => "Ожидает решения",
            (Status::Requested, Lang::En) => "Awaiting decision",
            (Status::Active, Lang::Ru) => "Действует",
            (Status::Active, Lang::En) => "Active",
            (Status::Paused, Lang::Ru) => "Приостановлено",
            (Status::Paused, Lang::En) => "Paused",
            (Status::Declined, Lang::Ru) => "Отклонено",
            (Status::Declined, Lang::En) => "Declined",
            (Status::RequestExpired, Lang::Ru) => "Запрос истёк",
            (Status::RequestExpired, Lang::En) => "Request expired",
            (Status::Revoked, Lang::Ru) => "Отозвано",
            (Status::Revoked, Lang::En) => "Revoked",
            (Status::Cancelled, Lang::Ru) => "Аннулировано",
            (Status::Cancelled, Lang::En) => "Cancelled",
            (Status::Expired, Lang::Ru) => "Истёк срок",
            (Status::Expired, Lang::En) => "Expired",
            (Status::Consumed, Lang::Ru) => "Использовано",
            (Status::Consumed, Lang::En) => "Used",
        }
    }
}

/// Who moves a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Citizen,
    Partner,
    Operator,
    System,
}

impl By {
    pub fn code(self) -> &'static str {
        match self {
            By::Citizen => "citizen",
            By::Partner => "partner",
            By::Operator => "operator",
            By::System => "system",
        }
    }

    pub fn parse(code: &str) -> Option<By> {
        [By::Citizen, By::Partner, By::Operator, By::System]
            .into_iter()
            .find(|b| b.code() == code)
    }
}

/// What happens to a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Approve,
    Decline,
    ExpireRequest,
    Pause,
    Resume,
    Revoke,
    Cancel,
    Expire,
    Consume,
}

impl Action {
    /// The webhook event and audit action suffix it produces.
    pub fn event(self) -> &'static str {
        match self {
            Action::Approve => "consent.approved",
            Action::Decline => "consent.declined",
            Action::ExpireRequest => "consent.request_expired",
            Action::Pause => "consent.paused",
            Action::Resume => "consent.resumed",
            Action::Revoke => "consent.revoked",
            Action::Cancel => "consent.cancelled",
            Action::Expire => "consent.expired",
            Action::Consume => "consent.consumed",
        }
    }
}

/// Refused: the action does not apply to the state, or not by that actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{action:?} by {by:?} is not allowed while {from:?}")]
pub struct NotAllowed {
    pub from: Status,
    pub action: Action,
    pub by: By,
}

/// The state after `action` by `by` from `from`.
pub fn transition(from: Status, action: Action, by: By) -> Result<Status, NotAllowed> {
    use Action as A;
    use Status as S;
    let to = match (from, action, by) {
        (S::Requested, A::Approve, By::Citizen) => S::Active,
        (S::Requested, A::Decline, By::Citizen) => S::Declined,
        (S::Requested, A::ExpireRequest, By::System) => S::RequestExpired,
        (S::Requested, A::Cancel, By::Partner | By::Operator) => S::Cancelled,
        (S::Active, A::Pause, By::Citizen) => S::Paused,
        (S::Paused, A::Resume, By::Citizen) => S::Active,
        (S::Active | S::Paused, A::Revoke, By::Citizen) => S::Revoked,
        (S::Active | S::Paused, A::Cancel, By::Partner | By::Operator) => S::Cancelled,
        (S::Active | S::Paused, A::Expire, By::System) => S::Expired,
        (S::Active, A::Consume, By::System) => S::Consumed,
        _ => return Err(NotAllowed { from, action, by }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: [Action; 9] = [
        Action::Approve,
        Action::Decline,
        Action::ExpireRequest,
        Action::Pause,
        Action::Resume,
        Action::Revoke,
        Action::Cancel,
        Action::Expire,
        Action::Consume,
    ];
    const BY: [By; 4] = [By::Citizen, By::Partner, By::Operator, By::System];

    #[test]
    fn terminal_states_have_no_way_out() {
        for s in Status::ALL.into_iter().filter(|s| s.is_terminal()) {
            for a in ACTIONS {
                for b in BY {
                    assert!(transition(s, a, b).is_err(), "{s:?} {a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn only_the_citizen_approves_pauses_and_revokes() {
        for b in [By::Partner, By::Operator, By::System] {
            assert!(transition(Status::Requested, Action::Approve, b).is_err());
            assert!(transition(Status::Active, Action::Pause, b).is_err());
            assert!(transition(Status::Active, Action::Revoke, b).is_err());
        }
        assert_eq!(
            transition(Status::Paused, Action::Revoke, By::Citizen),
            Ok(Status::Revoked)
        );
        assert!(transition(Status::Active, Action::Cancel, By::Citizen).is_err());
    }

    #[test]
    fn the_whole_life_of_a_periodic_consent() {
        let s = transition(Status::Requested, Action::Approve, By::Citizen).unwrap();
        let s = transition(s, Action::Pause, By::Citizen).unwrap();
        assert!(transition(s, Action::Consume, By::System).is_err());
        let s = transition(s, Action::Resume, By::Citizen).unwrap();
        assert_eq!(
            transition(s, Action::Expire, By::System),
            Ok(Status::Expired)
        );
    }

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.code());
        }
        for b in BY {
            assert_eq!(By::parse(b.code()), Some(b));
        }
    }
}
