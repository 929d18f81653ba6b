//! The one parser for the ids callers send us: GraphQL `ID`s and REST path
//! segments. Bad ids are the caller's mistake and say which argument it was.
//! Our own ids are UUIDs; Monday's are positive integers (read as digits,
//! never through floating point, as the webhook endpoint reads them).

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

/// Parses a Monday id (an item, a board) the caller named `what`: digits
/// only, from 1 to Monday's largest id. Returned in canonical form.
pub fn parse_monday_id(value: &str, what: &str) -> Result<String, AppError> {
    crate::upstream::monday::webhook::digits_to_id(value)
        .map(|id| id.to_string())
        .ok_or_else(|| {
            AppError::bad_request(format!(
                "{what} is not a valid Monday id (a positive integer)"
            ))
        })
}

fn invalid(what: &str) -> AppError {
    AppError::bad_request(format!("{what} is not a valid id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monday_ids_are_positive_integers_in_range() {
        assert_eq!(
            parse_monday_id("5000000001", "id").ok().as_deref(),
            Some("5000000001")
        );
        for bad in [
            "",
            "0",
            "-1",
            "1.5",
            "abc",
            "18446744073709551616",
            "01",
            " 1",
        ] {
            assert!(
                matches!(parse_monday_id(bad, "id"), Err(AppError::BadRequest(_))),
                "{bad}"
            );
        }
    }

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
