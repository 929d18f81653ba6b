//! Which requests the response cache may keep: decided from the parsed
//! document, by a schema extension, so the cache never parses a query itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection,
};
use async_graphql::{ServerResult, Variables};

/// Root fields whose results depend only on tickets, their comments and
/// clients, and on who asks: exactly what the cache's generations track.
const CACHEABLE_ROOT_FIELDS: &[&str] = &["tickets", "ticket", "__typename"];

/// Request data the [`CachePolicy`] extension fills in once the document is
/// parsed: whether the chosen operation reads only cacheable root fields.
#[derive(Clone, Default)]
pub struct Cacheable(Arc<AtomicBool>);

impl Cacheable {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
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
            slot.0
                .store(reads_only_tickets(&doc, name), Ordering::Relaxed);
        }
        Ok(doc)
    }
}

fn reads_only_tickets(doc: &ExecutableDocument, operation: Option<&str>) -> bool {
    let op = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return false,
        },
        // A lone named operation runs without naming it.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return false,
        },
        (DocumentOperations::Multiple(_), None) => return false,
    };
    op.node.ty == OperationType::Query
        && op
            .node
            .selection_set
            .node
            .items
            .iter()
            .all(|s| match &s.node {
                Selection::Field(f) => CACHEABLE_ROOT_FIELDS.contains(&f.node.name.node.as_str()),
                // Fragments on the root are rare; not worth following.
                Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap()
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
    }
}
