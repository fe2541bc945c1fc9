//! Who may do what in an organization. The table here is the only place
//! roles are compared: handlers ask for an [`Action`] through an extractor
//! and never look at a role themselves.

use crate::Lang;

/// An employee's role. The head per ЕГРЮЛ is an administrator who cannot
/// be removed or demoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Runs the organization's account: members, requisites, and later its
    /// partner clients and keys.
    Administrator,
    /// Works with the organization's customers (applications, and later
    /// partner clients).
    Operator,
    /// Reads the organization's data and its people.
    Analyst,
    /// Works with requisites and payments.
    Accountant,
}

/// What can be done in an organization's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The organization's card: name, OGRN, one's own role.
    View,
    /// The ЕГРЮЛ extract: INN, KPP, address, activity, head.
    ViewRequisites,
    /// The members and the open invitations.
    ViewMembers,
    /// Invite, change a role, remove, revoke an invitation.
    ManageMembers,
    /// Refresh the requisites from ЕГРЮЛ.
    ManageOrganization,
    /// The organization's OAuth clients: see them, register sandbox ones.
    ManageClients,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Operator,
        Role::Analyst,
        Role::Accountant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Operator => "operator",
            Role::Analyst => "analyst",
            Role::Accountant => "accountant",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Role::Administrator, Lang::Ru) => "администратор",
            (Role::Administrator, Lang::En) => "administrator",
            (Role::Operator, Lang::Ru) => "оператор",
            (Role::Operator, Lang::En) => "operator",
            (Role::Analyst, Lang::Ru) => "аналитик",
            (Role::Analyst, Lang::En) => "analyst",
            (Role::Accountant, Lang::Ru) => "бухгалтер",
            (Role::Accountant, Lang::En) => "accountant",
        }
    }

    /// Whether someone with this role may do `action`.
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Administrator => true,
            Role::Operator => matches!(action, View),
            Role::Analyst => matches!(action, View | ViewRequisites | ViewMembers),
            Role::Accountant => matches!(action, View | ViewRequisites),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_only_administrators_manage() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert!(r.allows(Action::View), "everyone sees the card");
            assert_eq!(r.allows(Action::ManageMembers), r == Role::Administrator);
            assert_eq!(
                r.allows(Action::ManageOrganization),
                r == Role::Administrator
            );
            assert_eq!(r.allows(Action::ManageClients), r == Role::Administrator);
        }
        assert_eq!(Role::parse("owner"), None);
        assert!(!Role::Operator.allows(Action::ViewRequisites));
        assert!(Role::Accountant.allows(Action::ViewRequisites));
        assert!(!Role::Accountant.allows(Action::ViewMembers));
        assert!(Role::Analyst.allows(Action::ViewMembers));
    }
}
