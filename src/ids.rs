//! The one parser for the ids callers send us: GraphQL `ID`s and REST path
//! segments. Bad ids are the caller's mistake and say which argument it was.

use uuid::Uuid;

use crate::error::AppError;

/// Parses a UUID that the caller named `what` (`id`, `clientId`, …).
pub fn parse_uuid(value: &str, what: &str) -> Result<Uuid, AppError> {
    // Only the canonical hyphenated form: the one we hand out.
    if value.len() != 36 {
        return Err(invalid(what));
    }
    Uuid::parse_str(value).map_err(|_| invalid(what))
}

fn invalid(what: &str) -> AppError {
    AppError::bad_request(format!("{what} is not a valid id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_our_ids_and_names_the_argument_otherwise() {
        let id = Uuid::new_v4();
        assert_eq!(parse_uuid(&id.to_string(), "id").ok(), Some(id));
        for bad in [
            "",
            "42",
            "not-a-uuid",
            &id.simple().to_string(),
            &format!("{id}x"),
        ] {
            match parse_uuid(bad, "clientId") {
                Err(AppError::BadRequest(m)) => assert_eq!(m, "clientId is not a valid id"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
