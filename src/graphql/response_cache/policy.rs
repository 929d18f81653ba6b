//! Which requests the response cache may keep: decided from the parsed
//! document, by a schema extension, so the cache never parses a query itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection,
};
use async_graphql::{ServerResult, Variables};

/// The named scopes an answer reads, as a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scopes(u8);

impl Scopes {
    /// How many named scopes there are (the bits in use).
    pub const COUNT: usize = 1;
    pub const TICKETS_INDEX: usize = 0;
    pub const NONE: Scopes = Scopes(0);
    pub const TICKETS: Scopes = Scopes(1 << Self::TICKETS_INDEX);
    pub const ALL: Scopes = Scopes((1 << Self::COUNT) - 1);

    pub fn indexes(self) -> impl Iterator<Item = usize> {
        (0..Self::COUNT).filter(move |i| self.0 & (1 << i) != 0)
    }

    fn with(self, other: Scopes) -> Scopes {
        Scopes(self.0 | other.0)
    }
}

/// Root fields whose results depend only on the rows of their scope and on
/// who asks: exactly what the cache's generations track.
const CACHEABLE_ROOT_FIELDS: &[(&str, Scopes)] = &[
    ("tickets", Scopes::TICKETS),
    ("ticket", Scopes::TICKETS),
    ("__typename", Scopes::NONE),
];

/// Request data the [`CachePolicy`] extension fills in once the document is
/// parsed: whether the chosen operation reads only cacheable root fields,
/// and which scopes they belong to.
#[derive(Clone, Default)]
pub struct Cacheable(Arc<AtomicU8>);

/// Set in `Cacheable` beside the scope bits.
const CACHEABLE: u8 = 0x80;

impl Cacheable {
    /// The scopes read, when the operation may be cached at all.
    pub fn get(&self) -> Option<Scopes> {
        let v = self.0.load(Ordering::Relaxed);
        (v & CACHEABLE != 0).then_some(Scopes(v & !CACHEABLE))
    }
}

/// The request's operation name, so the extension picks the operation the
/// way execution will.
#[derive(Clone, Default)]
pub struct OperationName(pub Option<String>);

pub struct CachePolicy;

impl ExtensionFactory for CachePolicy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CachePolicy)
    }
}

#[async_trait::async_trait]
impl Extension for CachePolicy {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if let Some(slot) = ctx.data_opt::<Cacheable>() {
            let name = ctx.data_opt::<OperationName>().and_then(|n| n.0.as_deref());
            let v = cacheable_scopes(&doc, name).map_or(0, |s| s.0 | CACHEABLE);
            slot.0.store(v, Ordering::Relaxed);
        }
        Ok(doc)
    }
}

fn cacheable_scopes(doc: &ExecutableDocument, operation: Option<&str>) -> Option<Scopes> {
    let op = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        // A lone named operation runs without naming it.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    if op.node.ty != OperationType::Query {
        return None;
    }
    op.node
        .selection_set
        .node
        .items
        .iter()
        .try_fold(Scopes::NONE, |acc, s| match &s.node {
            Selection::Field(f) => CACHEABLE_ROOT_FIELDS
                .iter()
                .find(|(name, _)| *name == f.node.name.node.as_str())
                .map(|(_, scopes)| acc.with(*scopes)),
            // Fragments on the root are rare; not worth following.
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap()
    }

    fn reads_only_tickets(doc: &ExecutableDocument, operation: Option<&str>) -> bool {
        cacheable_scopes(doc, operation).is_some()
    }

    #[test]
    fn only_ticket_reads_are_cacheable() {
        assert!(reads_only_tickets(&doc("{ tickets { totalCount } }"), None));
        assert!(reads_only_tickets(
            &doc("query T { tickets { totalCount } }"),
            None
        ));
        assert!(reads_only_tickets(
            &doc("query { ticket(id: \"1\") { id } __typename }"),
            None
        ));
        assert!(!reads_only_tickets(
            &doc("{ tickets { totalCount } me { id } }"),
            None
        ));
        assert!(!reads_only_tickets(&doc("mutation { logout }"), None));
        assert!(!reads_only_tickets(
            &doc("{ ...F } fragment F on Query { tickets { totalCount } }"),
            None
        ));
        let two = doc("query A { tickets { totalCount } } query B { me { id } }");
        assert!(reads_only_tickets(&two, Some("A")));
        assert!(!reads_only_tickets(&two, Some("B")));
        assert!(!reads_only_tickets(&two, None));
        assert_eq!(
            cacheable_scopes(&doc("{ __typename ticket(id: \"1\") { id } }"), None),
            Some(Scopes::TICKETS)
        );
        assert_eq!(
            cacheable_scopes(&doc("{ __typename }"), None),
            Some(Scopes::NONE)
        );
    }
}
