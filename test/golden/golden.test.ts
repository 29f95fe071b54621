/**
 * Golden tests (decK style): for each mapping, captured inbound messages and the exact
 * outbound request couponbridge must send (method, URL, headers, body, signature included),
 * the upstream's answer, and the exact answer the caller must get. Layout:
 *   test/golden/<route-id>/<case>/in.json              the captured inbound body (signed with the
 *                                                      test partner secret of test/support/stack.ts)
 *   test/golden/<route-id>/<case>/upstream-answer.json what the fake upstream answers (absent: no call expected)
 *   test/golden/<route-id>/<case>/expected-upstream.http
 *   test/golden/<route-id>/<case>/expected-answer.json
 * On a mismatch the runner writes *.actual.* next to the expected file (git-ignored);
 * UPDATE_GOLDEN=1 rewrites the expected files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/log';
import { openStore } from '../../src/store/open';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { createRuntime } from '../../src/runtime';
import { loadCheckedTable } from '../../src/server/reload';
import { newExchange } from '../../src/pipeline/context';
import { runFlow } from '../../src/flows/registry';
import type { OutboundRequest, UpstreamClient } from '../../src/dialects/types';
import { testConfig } from '../support/stack';

const NOW = new Date('2024-03-01T02:16:00.000Z');
const root = __dirname;
const registry = loadSchemaRegistry();

function httpText(method: string, url: string, headers: Record<string, string>, body: string | undefined): string {
  const h = Object.keys(headers)
    .sort()
    .map((k) => `${k.toLowerCase()}: ${headers[k]}`)
    .join('\n');
  return `${method} ${url}\n${h}\n\n${body ?? ''}\n`;
}

function compare(dir: string, name: string, actual: string): void {
  const file = join(dir, name);
  const actualFile = join(dir, name.replace(/(\.[a-z]+)$/, '.actual$1'));
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1' && process.env.CI) assert.fail(`${file} is missing`);
    writeFileSync(file, actual);
    return;
  }
  const expected = readFileSync(file, 'utf8');
  if (expected !== actual) {
    writeFileSync(actualFile, actual);
    assert.equal(actual, expected, `${file} differs (see ${actualFile})`);
  }
}

for (const routeId of readdirSync(root).filter((n) => !n.includes('.test.') && !n.endsWith('.ts'))) {
  describe(`golden ${routeId}`, () => {
    for (const name of readdirSync(join(root, routeId))) {
      const dir = join(root, routeId, name);
      test(name, async () => {
        // The captured T1 cases name coupons the ledger does not hold: the legacy fallback sends them.
        const config = testConfig(
          { pyun: 'http://pyun.golden.test' },
          { extraYaml: 'grant_serial_fallback: coupon_id' },
        );
        const rt = createRuntime(config, {
          registry,
          logger: createLogger({ level: 'error' }),
          store: await openStore('sqlite::memory:'),
          table: loadCheckedTable(config.mappings, { registry }),
        });
        const sent: OutboundRequest[] = [];
        const answerFile = join(dir, 'upstream-answer.json');
        const fake: UpstreamClient = {
          async send(req) {
            sent.push(req);
            return { status: 200, headers: {}, body: readFileSync(answerFile, 'utf8').trim(), elapsedMs: 1 };
          },
          async close() {},
        };
        rt.upstreams.get('pyun')!.client = fake;
        const route = rt.table.byId.get(routeId);
        assert.ok(route, `route ${routeId} exists`);
        const body = readFileSync(join(dir, 'in.json'));
        const x = newExchange(rt, route, { method: 'POST', path: route.doc.inbound.path, query: '', headers: { 'content-type': 'application/json' }, body: body.subarray(0, body.length - 1) }, NOW);
        const answer = await runFlow(x);
        if (existsSync(answerFile)) {
          assert.equal(sent.length, 1, 'exactly one upstream call');
          const o = x.outbound!;
          compare(dir, 'expected-upstream.http', httpText(o.method, o.url, o.headers, o.body));
        } else {
          assert.equal(sent.length, 0, 'no upstream call');
        }
        compare(dir, 'expected-answer.json', `${JSON.stringify({ status: answer.status, body: JSON.parse(answer.body) }, null, 2)}\n`);
      });
    }
  });
}
