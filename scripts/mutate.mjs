#!/usr/bin/env node
// Mutation testing of src/money.ts, src/dialects, src/ledger and src/mapping: one StrykerJS run per
// scope (stryker.config.mjs), each with its own test files and reports in reports/mutation/.
// Usage: npm run mutate [-- scope…]   (scopes: money signatures dialects ledger mapping; default all)
import { spawnSync } from 'node:child_process';

const ALL = ['money', 'signatures', 'dialects', 'ledger', 'mapping'];
const scopes = process.argv.slice(2);
for (const scope of scopes.length ? scopes : ALL) {
  if (!ALL.includes(scope)) {
    console.error(`unknown scope "${scope}" (one of ${ALL.join(', ')})`);
    process.exit(2);
  }
  const r = spawnSync('npx', ['stryker', 'run'], {
    stdio: 'inherit',
    env: { ...process.env, MUTATE_SCOPE: scope },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
