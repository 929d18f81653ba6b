//! Public replies and internal notes. Staff write both on the ticket's Monday
//! item; an update is internal when it opens with one of the configured
//! markers, or when it replies in the thread of an internal update. Clients
//! are only ever shown public comments, so every path that reaches a client
//! asks this module first.

use async_graphql::Enum;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Shown to the ticket's client.
    Public,
    /// Shown to staff and API keys only.
    Internal,
}

impl Visibility {
    /// The value stored in our database.
    pub fn code(self) -> &'static str {
        match self {
            Visibility::Public => "PUBLIC",
            Visibility::Internal => "INTERNAL",
        }
    }

    /// Anything unknown counts as internal: a stored value we cannot read
    /// must not reach a client.
    pub fn from_code(code: &str) -> Self {
        match code {
            "PUBLIC" => Visibility::Public,
            _ => Visibility::Internal,
        }
    }
}

/// The configured markers (lowercase, never empty).
#[derive(Clone, Debug)]
pub struct Markers(Vec<String>);

impl Markers {
    pub fn new(markers: Vec<String>) -> Self {
        assert!(!markers.is_empty(), "the config refuses an empty list");
        Self(markers.into_iter().map(|m| m.to_lowercase()).collect())
    }

    /// How an update reads on its own: internal when its text opens with a
    /// marker, ignoring case and leading space.
    pub fn classify(&self, text: &str) -> Visibility {
        let text = text.trim_start();
        let internal = self.0.iter().any(|m| starts_with_ignoring_case(text, m));
        if internal {
            Visibility::Internal
        } else {
            Visibility::Public
        }
    }

    /// An update in a thread: a reply under an internal update is internal
    /// whatever it says, since it answers something the client never saw.
    pub fn in_thread(&self, parent: Option<Visibility>, text: &str) -> Visibility {
        match parent {
            Some(Visibility::Internal) => Visibility::Internal,
            _ => self.classify(text),
        }
    }

    /// The text to post on Monday for a comment of ours, so that Monday and
    /// every later sync read it as what it is.
    pub fn posted(&self, visibility: Visibility, text: &str) -> String {
        match visibility {
            Visibility::Internal if self.classify(text) == Visibility::Public => {
                format!("{} {text}", self.0[0])
            }
            _ => text.to_owned(),
        }
    }
}

/// `text` starts with the lowercase `marker`, compared a character at a time
/// in lowercase (so `[INTERNAL]` and `🔒` both match, and no byte offset ever
/// splits a character).
fn starts_with_ignoring_case(text: &str, marker: &str) -> bool {
    let mut text = text.chars().flat_map(char::to_lowercase);
    marker.chars().all(|m| text.next() == Some(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers() -> Markers {
        Markers::new(vec!["[internal]".into(), "#internal".into(), "🔒".into()])
    }

    #[test]
    fn markers_open_an_internal_note_whatever_their_case() {
        let m = markers();
        for text in [
            "[internal] legacy plan, no refund",
            "  [INTERNAL] shouting",
            "#Internal: check the logs",
            "🔒 locked",
        ] {
            assert_eq!(m.classify(text), Visibility::Internal, "{text}");
        }
        for text in [
            "Thanks, we are on it",
            "This is not [internal]",
            "#intern",
            "",
            "🔓 open",
        ] {
            assert_eq!(m.classify(text), Visibility::Public, "{text}");
        }
    }

    #[test]
    fn replies_under_an_internal_note_stay_internal() {
        let m = markers();
        assert_eq!(
            m.in_thread(Some(Visibility::Internal), "sure, will do"),
            Visibility::Internal
        );
        assert_eq!(
            m.in_thread(Some(Visibility::Public), "sure, will do"),
            Visibility::Public
        );
        assert_eq!(
            m.in_thread(Some(Visibility::Public), "#internal he is rude"),
            Visibility::Internal
        );
    }

    #[test]
    fn what_we_post_reads_back_as_what_it_is() {
        let m = markers();
        let note = m.posted(Visibility::Internal, "Ann (staff): no refund");
        assert_eq!(note, "[internal] Ann (staff): no refund");
        assert_eq!(m.classify(&note), Visibility::Internal);
        assert_eq!(
            m.posted(Visibility::Internal, "🔒 already marked"),
            "🔒 already marked"
        );
        assert_eq!(m.posted(Visibility::Public, "hello"), "hello");
    }

    #[test]
    fn an_unknown_stored_value_is_never_public() {
        assert_eq!(Visibility::from_code("PUBLIC"), Visibility::Public);
        assert_eq!(Visibility::from_code("INTERNAL"), Visibility::Internal);
        assert_eq!(Visibility::from_code("public?"), Visibility::Internal);
    }
}
