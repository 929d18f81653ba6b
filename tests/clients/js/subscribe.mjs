// The graphql-ws client (graphql-transport-ws) against a sandbox server:
// a client signs in by magic link, subscribes to ticketUpdates, creates a
// ticket; staff change it in the sandbox's Monday; the change arrives live
// and `complete` ends the stream cleanly. A bad token is refused with close
// code 4403. Exits non-zero on any failure.
//
//   node subscribe.mjs BASE_URL SANDBOX_CONTROL_URL OUTBOX_DIR ADMIN_PASSWORD
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [base, control, outbox, adminPassword] = process.argv.slice(2);
if (!adminPassword) {
  console.error('usage: node subscribe.mjs BASE_URL SANDBOX_CONTROL_URL OUTBOX_DIR ADMIN_PASSWORD');
  process.exit(2);
}
const wsUrl = `${base.replace(/^http/, 'ws')}/graphql/ws`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function gql(query, variables = {}, token) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`${query.slice(0, 40)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function magicLinkToken(email, since) {
  for (let i = 0; i < 300; i += 1) {
    let files = [];
    try {
      files = readdirSync(outbox);
    } catch {
      // not written yet
    }
    for (const f of files) {
      const path = join(outbox, f);
      if (statSync(path).mtimeMs < since) continue;
      const mail = readFileSync(path, 'utf8')
        .replace(/=\r?\n/g, '')
        .replace(/=3D/g, '=');
      if (!mail.toLowerCase().includes(email)) continue;
      const m = mail.match(/token=([A-Za-z0-9_-]+)/);
      if (m) return m[1];
    }
    await sleep(100);
  }
  throw new Error(`no magic-link mail for ${email} in ${outbox}`);
}

function client(connectionParams) {
  return createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
}

async function deadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const UPDATES = `subscription { ticketUpdates { kind changedFields ticket { id status syncState mondayItemId } } }`;

// 1. A client with a session.
const admin = (
  await gql('mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }', {
    u: 'admin',
    p: adminPassword,
  })
).login.token;
const email = `graphql-ws-${Date.now()}@example.com`;
await gql('mutation($e:String!){ createClient(input:{email:$e,name:"graphql-ws check"}){ id } }', { e: email }, admin);
const since = Date.now() - 1000;
await gql('mutation($e:String!){ requestMagicLink(email:$e) }', { e: email });
const link = await magicLinkToken(email, since);
const token = (await gql('mutation($t:String!){ redeemMagicLink(token:$t){ token } }', { t: link })).redeemMagicLink
  .token;
console.log('graphql-ws: signed in as a client');

// 2. Subscribed, then a ticket; staff move it once it reached Monday.
const ws = client({ Authorization: `Bearer ${token}` });
const events = ws.iterate({ query: UPDATES });
const first = events.next(); // starts the subscription
await sleep(300);
const ticket = (
  await gql('mutation { createTicket(input:{title:"graphql-ws check", description:"live", priority:HIGH}){ id } }', {}, token)
).createTicket;
let staffDone = false;
let seen = first;
let live = null;
const started = Date.now();
while (!live && Date.now() - started < 60_000) {
  const { value, done } = await deadline(seen, 60_000, 'a ticket event');
  if (done) throw new Error('the subscription ended early');
  if (value.errors) throw new Error(`subscription errors: ${JSON.stringify(value.errors)}`);
  const e = value.data.ticketUpdates;
  if (e.ticket.id !== ticket.id) {
    seen = events.next();
    continue;
  }
  if (e.ticket.status === 'IN_PROGRESS') {
    live = e;
    break;
  }
  if (!staffDone && e.ticket.mondayItemId) {
    const res = await fetch(`${control}/monday/items/${e.ticket.mondayItemId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'In Progress' }),
    });
    if (!res.ok) throw new Error(`sandbox staff edit: ${res.status}`);
    staffDone = true;
  }
  seen = events.next();
}
if (!live) throw new Error('staff change did not arrive');
console.log(`graphql-ws: staff change arrived live (${live.kind}: ${live.changedFields.join(', ')})`);

// 3. `complete` (return) ends the stream cleanly.
const ended = await deadline(events.return(), 5000, 'complete');
if (!ended.done) throw new Error('the stream did not end');
await ws.dispose();
console.log('graphql-ws: complete ended the stream');

// 4. A bad token: closed with 4403 Forbidden.
const bad = client({ Authorization: 'Bearer not-a-token' });
const code = await deadline(
  new Promise((resolve) => {
    bad.on('closed', (event) => resolve(event.code));
    bad.subscribe({ query: UPDATES }, { next() {}, error() {}, complete() {} });
  }),
  10_000,
  'the refusal',
);
await bad.dispose();
if (code !== 4403) throw new Error(`a bad token closed with ${code}, not 4403`);
console.log('graphql-ws: a bad token is refused with 4403');
process.exit(0);
