/** `npm start` runs `couponbridge demo`: it must show the translations working, end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/paths';

test('the demo shows a T1 translation, a refused signature, a claim and a delivered P1 notification', () => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts'), 'demo', '--once', '--port', '0'],
    {
      encoding: 'utf8',
      cwd: projectRoot(),
      timeout: 60_000,
    },
  );
  assert.match(out, /→ HTTP 200 \{"code":0,"message":"successful"\}/);
  assert.match(out, /POST \/gate\/1\.0\/parking\/internal\/mcoupon\/grant\/sync/);
  assert.match(out, /P云 answered \{"code":"1001"/);
  assert.match(out, /→ HTTP 401 \{"code":400005/);
  assert.match(out, /3\) .*\n {3}→ \{"code":0,"message":"successful","data":\{/);
  assert.match(out, /→ \{"code":"1001"/);
  assert.match(out, /sandbox Tencent received: .*"coupon_status":2/);
});
