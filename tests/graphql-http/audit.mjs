// The graphql-http server audits against the GraphQL endpoint given as the first argument.
// Prints one line per audit (id, level, pass/fail, name) and exits 1 when any MUST or SHOULD
// fails; MAYs are reported only.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
let failed = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const level = audit.name.split(' ')[0];
  const line = `${audit.id} ${result.status} ${audit.name}`;
  if (result.status !== 'ok' && (level === 'MUST' || level === 'SHOULD')) {
    failed += 1;
    console.log(`FAIL ${line}: ${result.reason}`);
  } else {
    console.log(line);
  }
}
console.log(failed === 0 ? 'all MUST and SHOULD audits pass' : `${failed} MUST/SHOULD audits fail`);
process.exit(failed === 0 ? 0 : 1);
