//! The role rule: who may call what. GraphQL fields state it as a guard
//! (see `graphql::guard`), REST handlers call `allows` directly.
//!
//! ```ignore
//! #[graphql(guard = "RoleGuard::admin()")]        // admins, ADMIN API keys
//! #[graphql(guard = "RoleGuard::staff()")]        // staff of either role, any API key
//! #[graphql(guard = "RoleGuard::client()")]       // signed-in clients only
//! #[graphql(guard = "RoleGuard::authenticated()")]// anyone signed in
//! #[graphql(guard = "RoleGuard::staff().write()")]// and not a READ_ONLY API key
//! ```
//! Mutations are refused to READ_ONLY keys for every mutation regardless (see
//! `auth::policy`); `.write()` states it at the field too.

use crate::auth::{ApiKeyPermission, Identity};
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    Authenticated,
    Client,
    Staff,
    /// Admins, and API keys that may write (STANDARD or ADMIN): who may
    /// start and stop pipeline runs.
    Operator,
    Admin,
}

#[derive(Clone, Copy, Debug)]
pub struct RoleGuard {
    need: Need,
    write: bool,
}

impl RoleGuard {
    pub fn authenticated() -> Self {
        Self {
            need: Need::Authenticated,
            write: false,
        }
    }
    pub fn client() -> Self {
        Self {
            need: Need::Client,
            write: false,
        }
    }
    pub fn staff() -> Self {
        Self {
            need: Need::Staff,
            write: false,
        }
    }
    pub fn admin() -> Self {
        Self {
            need: Need::Admin,
            write: false,
        }
    }
    pub fn operator() -> Self {
        Self {
            need: Need::Operator,
            write: true,
        }
    }
    /// Also refuse READ_ONLY API keys.
    pub fn write(self) -> Self {
        Self {
            write: true,
            ..self
        }
    }

    /// The rule itself.
    pub fn allows(&self, identity: &Identity) -> Result<(), AppError> {
        if matches!(identity, Identity::Anonymous) {
            return Err(AppError::Unauthenticated("sign in to do this".to_owned()));
        }
        let ok = match self.need {
            Need::Authenticated => true,
            Need::Client => matches!(identity, Identity::Client { .. }),
            Need::Staff => identity.is_staff(),
            Need::Operator => identity.is_admin() || matches!(identity, Identity::ApiKey { .. }),
            Need::Admin => identity.is_admin(),
        };
        if !ok {
            return Err(AppError::Forbidden(match self.need {
                Need::Admin => "this needs an admin".to_owned(),
                Need::Staff => "this needs a staff account or an API key".to_owned(),
                Need::Operator => "this needs an admin or a STANDARD or ADMIN API key".to_owned(),
                Need::Client => "this is for signed-in clients".to_owned(),
                Need::Authenticated => "not allowed".to_owned(),
            }));
        }
        if self.write
            && let Identity::ApiKey {
                permission: ApiKeyPermission::ReadOnly,
                ..
            } = identity
        {
            return Err(read_only_key());
        }
        Ok(())
    }
}

pub fn read_only_key() -> AppError {
    AppError::Forbidden("this API key is READ_ONLY: it may run queries only".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use uuid::Uuid;

    fn staff(role: Role) -> Identity {
        Identity::Staff {
            user_id: Uuid::nil(),
            username: "u".into(),
            role,
            jti: "j".into(),
        }
    }
    fn key(permission: ApiKeyPermission) -> Identity {
        Identity::ApiKey {
            key_id: Uuid::nil(),
            name: "k".into(),
            permission,
            per_minute: 100,
        }
    }

    #[test]
    fn the_matrix() {
        let anon = Identity::Anonymous;
        assert!(matches!(
            RoleGuard::authenticated().allows(&anon),
            Err(AppError::Unauthenticated(_))
        ));
        assert!(RoleGuard::admin().allows(&staff(Role::Admin)).is_ok());
        assert!(matches!(
            RoleGuard::admin().allows(&staff(Role::User)),
            Err(AppError::Forbidden(_))
        ));
        assert!(RoleGuard::staff().allows(&staff(Role::User)).is_ok());
        assert!(
            RoleGuard::staff()
                .allows(&key(ApiKeyPermission::ReadOnly))
                .is_ok()
        );
        assert!(
            RoleGuard::staff()
                .write()
                .allows(&key(ApiKeyPermission::ReadOnly))
                .is_err()
        );
        assert!(
            RoleGuard::staff()
                .write()
                .allows(&key(ApiKeyPermission::Standard))
                .is_ok()
        );
        assert!(
            RoleGuard::admin()
                .allows(&key(ApiKeyPermission::Standard))
                .is_err()
        );
        assert!(
            RoleGuard::admin()
                .write()
                .allows(&key(ApiKeyPermission::Admin))
                .is_ok()
        );
        let client = Identity::Client {
            client_id: Uuid::nil(),
            portal_id: "p".into(),
            email: "e".into(),
            jti: "j".into(),
        };
        assert!(RoleGuard::client().allows(&client).is_ok());
        let operator = RoleGuard::operator();
        assert!(operator.allows(&staff(Role::Admin)).is_ok());
        assert!(operator.allows(&staff(Role::User)).is_err());
        assert!(operator.allows(&key(ApiKeyPermission::Standard)).is_ok());
        assert!(operator.allows(&key(ApiKeyPermission::ReadOnly)).is_err());
        assert!(operator.allows(&client).is_err());
        assert!(RoleGuard::staff().allows(&client).is_err());
        assert!(RoleGuard::client().allows(&staff(Role::Admin)).is_err());
    }
}
