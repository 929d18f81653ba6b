// The page's only way to the server: GraphQL as POST JSON and the REST
// routes, both with the session's bearer token from memory. No cookie is
// ever used, so there is no CSRF surface.

const TOKEN = "bb.session";

let session = null;
let onExpired = () => {};
let expiryTimer = null;

/** An error the API answered: its message is for people, `code` for us. */
export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export function whenExpired(f) {
  onExpired = f;
}

/** The session kept for this tab only, dropped once its JWT expires. */
export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(TOKEN) || "null");
    if (s && s.token && Date.parse(s.expiresAt) > Date.now()) {
      setSession(s);
      return s;
    }
  } catch (_) {
    // A broken entry is no session.
  }
  sessionStorage.removeItem(TOKEN);
  return null;
}

export function setSession(s) {
  session = s;
  sessionStorage.setItem(TOKEN, JSON.stringify(s));
  clearTimeout(expiryTimer);
  const left = Date.parse(s.expiresAt) - Date.now();
  // The session never outlives the token (setTimeout caps near 24.8 days).
  expiryTimer = setTimeout(() => {
    clearSession();
    onExpired("Your session has ended; sign in again.");
  }, Math.min(Math.max(left, 0), 2 ** 31 - 1));
}

export function clearSession() {
  session = null;
  clearTimeout(expiryTimer);
  sessionStorage.removeItem(TOKEN);
  // GraphiQL's hand-off, and what older versions let GraphiQL keep.
  for (const key of ["bb.graphiql.headers", "graphiql:headers", "graphiql:tabState"]) localStorage.removeItem(key);
}

export function token() {
  return session ? session.token : null;
}

function authHeaders() {
  return session ? { Authorization: `Bearer ${session.token}` } : {};
}

function refused(status, code, message) {
  if (status === 401 || code === "UNAUTHENTICATED") {
    clearSession();
    onExpired(message || "Your session has ended; sign in again.");
  }
}

/** One GraphQL operation; resolves to `data`, rejects with the first error. */
export async function gql(query, variables = {}) {
  let res;
  try {
    res = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        ...authHeaders(),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (_) {
    throw new ApiError("The server cannot be reached.", "NETWORK", 0);
  }
  let body = null;
  try {
    body = await res.json();
  } catch (_) {
    throw new ApiError(`The server answered ${res.status}.`, "HTTP", res.status);
  }
  const err = body && Array.isArray(body.errors) ? body.errors[0] : null;
  if (err) {
    const code = (err.extensions && err.extensions.code) || "ERROR";
    refused(res.status, code, err.message);
    throw new ApiError(err.message || "The request failed.", code, res.status);
  }
  if (!res.ok || !body || !body.data) {
    throw new ApiError(`The server answered ${res.status}.`, "HTTP", res.status);
  }
  return body.data;
}

/** A REST call; JSON bodies in and out, the `{error, message}` shape on failure. */
export async function rest(method, path) {
  let res;
  try {
    res = await fetch(path, { method, headers: { Accept: "application/json", ...authHeaders() } });
  } catch (_) {
    throw new ApiError("The server cannot be reached.", "NETWORK", 0);
  }
  let body = null;
  try {
    body = await res.json();
  } catch (_) {
    body = null;
  }
  if (!res.ok) {
    const code = (body && body.error) || "HTTP";
    const message = (body && body.message) || `The server answered ${res.status}.`;
    refused(res.status, code, message);
    throw new ApiError(message, code, res.status);
  }
  return body;
}

/** Downloads a file with the bearer token, reporting bytes as they arrive. */
export async function download(path, filename, progress) {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) {
    let message = `The server answered ${res.status}.`;
    try {
      const b = await res.json();
      message = b.message || message;
    } catch (_) {
      // Not JSON: keep the status.
    }
    throw new ApiError(message, "HTTP", res.status);
  }
  const reader = res.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    progress(got);
  }
  const url = URL.createObjectURL(new Blob(parts));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return got;
}
