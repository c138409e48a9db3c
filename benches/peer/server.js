// The benchmark's peer: PostGraphile 4 (library mode) over the schema `peer` of scope.sql, with
// connection-filter and pg-aggregates, in two worker processes sharing one port (node's cluster
// module), each with a pool of 8 connections (16 in all, as the hub's pool). Callers present a
// JWT whose claims carry their slice; PostGraphile verifies it and sets the role and the claims
// for row-level security in the request's transaction.
//
// Environment: DATABASE_URL, PORT, JWT_SECRET. The primary process prints one line of JSON,
// {"tokens": {police, maslikhat, commission}}, once both workers listen.
import cluster from 'node:cluster';
import http from 'node:http';
import jwt from 'jsonwebtoken';
import { postgraphile } from 'postgraphile';
import { createRequire } from 'node:module';

// Both plugins are CommonJS modules with a default export.
const require = createRequire(import.meta.url);
const ConnectionFilterPlugin = require('postgraphile-plugin-connection-filter');
const PgAggregatesPlugin = require('@graphile/pg-aggregates').default;

const WORKERS = 2;
const secret = process.env.JWT_SECRET;
const slices = {
  police: { kato: '35', levels: 'REGIONAL', administrators: '252' },
  maslikhat: { kato: '11', levels: 'REGIONAL,DISTRICT,RURAL', administrators: '' },
  commission: { kato: '75', levels: 'REGIONAL,DISTRICT,RURAL', administrators: '' },
};

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < WORKERS; i++) {
    cluster.fork().on('listening', () => {
      listening += 1;
      if (listening === WORKERS) {
        const tokens = {};
        for (const [name, claims] of Object.entries(slices)) {
          tokens[name] = jwt.sign({ role: 'peer_reader', ...claims }, secret, { audience: 'postgraphile', expiresIn: '1d' });
        }
        console.log(JSON.stringify({ tokens }));
      }
    });
  }
} else {
  const middleware = postgraphile(
    { connectionString: process.env.DATABASE_URL, max: 8 },
    'peer',
    {
      appendPlugins: [ConnectionFilterPlugin, PgAggregatesPlugin],
      disableDefaultMutations: true,
      jwtSecret: secret,
      pgDefaultRole: 'peer_reader',
      dynamicJson: true,
      setofFunctionsContainNulls: false,
      ignoreRBAC: false,
      retryOnInitFail: false,
      disableQueryLog: true,
    },
  );
  http.createServer(middleware).listen(Number(process.env.PORT), '127.0.0.1');
}
