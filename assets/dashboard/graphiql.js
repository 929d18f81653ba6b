// GraphiQL for staff, opened from the dashboard: it takes the header the
// dashboard handed over (the signed-in admin's bearer token) out of local
// storage, so no copy outlives the tab, and sends it on queries and on the
// subscription socket.
"use strict";

// A first query that shows at once whose credentials the editor sends.
const DEFAULT_QUERY = `# Whom these headers sign in as; Ctrl-Enter runs it.
# The Docs button lists every operation.
query Me {
  me { kind displayName role }
}
`;

(function () {
  const status = document.getElementById("graphiql-status");
  if (typeof GraphiQL === "undefined" || typeof React === "undefined" || typeof ReactDOM === "undefined") {
    if (status) status.textContent = "GraphiQL could not be loaded. The API answers at /graphql.";
    return;
  }
  let headers = null;
  let auth = null;
  try {
    headers = localStorage.getItem("bb.graphiql.headers");
    localStorage.removeItem("bb.graphiql.headers");
    auth = headers ? JSON.parse(headers).Authorization || null : null;
  } catch (e) {
    headers = null;
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    subscriptionUrl: `${scheme}//${location.host}/graphql/ws`,
    wsConnectionParams: auth ? { Authorization: auth } : undefined,
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher,
      headers: headers || undefined,
      shouldPersistHeaders: false,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: headers ? "headers" : undefined,
    }),
  );
})();
