// The GraphQL-over-HTTP reference audit (graphql-http's serverAudits)
// against a running server's /graphql. Exits non-zero on any error or
// warning: every MUST and every SHOULD of the spec holds.
//
//   node audit.mjs http://127.0.0.1:8080/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  if (result.status !== 'ok') {
    let body = '';
    if (result.response) {
      try {
        body = await result.response.text();
      } catch {
        body = '(unreadable body)';
      }
      body = ` [${result.response.status}] ${body.slice(0, 300)}`;
    }
    console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}${body}`);
  }
}
console.log(`graphql-http audit: ${counts.ok} ok, ${counts.notice} notices, ${counts.warn} warnings, ${counts.error} errors`);
process.exit(counts.warn === 0 && counts.error === 0 ? 0 : 1);
