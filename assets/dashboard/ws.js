// A small graphql-transport-ws client: one socket per subscription, the
// bearer token in `connection_init`, pings answered, and the events handed
// to the caller until the server completes the operation.

export function subscribe(query, variables, bearer, { next, error, complete }) {
  const url = new URL("/graphql/ws", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url, "graphql-transport-ws");
  let done = false;
  const finish = () => {
    if (!done) {
      done = true;
      ws.close(1000);
    }
  };
  ws.addEventListener("open", () => {
    ws.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${bearer}` } }));
  });
  ws.addEventListener("message", (e) => {
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch (_) {
      return;
    }
    switch (msg.type) {
      case "connection_ack":
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
        break;
      case "ping":
        ws.send(JSON.stringify({ type: "pong" }));
        break;
      case "next":
        if (msg.payload && msg.payload.errors && msg.payload.errors.length) {
          error(msg.payload.errors[0].message);
          finish();
        } else if (msg.payload) {
          next(msg.payload.data);
        }
        break;
      case "error":
        error((msg.payload && msg.payload[0] && msg.payload[0].message) || "The subscription failed.");
        finish();
        break;
      case "complete":
        finish();
        complete();
        break;
      default:
        break;
    }
  });
  ws.addEventListener("close", (e) => {
    if (!done) {
      done = true;
      error(e.reason || "The live connection closed.");
    }
  });
  return { close: finish };
}
