import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cbCodes, errorCatalog } from '../../src/errors';
import { dialectNames, dialects } from '../../src/dialects/index';

const docRows = new Map(
  readFileSync(resolve(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| `CB_'))
    .map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/^`|`$/g, ''));
      return [cells[0], cells] as const;
    }),
);

describe('error codes', () => {
  for (const name of dialectNames) {
    test(`${name} maps every catalog code to a non-empty code`, () => {
      const table = dialects[name].codes as Record<string, string | number>;
      for (const code of cbCodes) {
        assert.ok(code in table, `${name} lacks ${code}`);
        assert.notEqual(String(table[code]).trim(), '', `${name}: ${code}`);
      }
      assert.deepEqual(Object.keys(table).sort(), [...cbCodes].sort());
    });

    test(`${name} lists every code it answers with among its known answer codes`, () => {
      for (const code of cbCodes) {
        assert.ok(String(dialects[name].codes[code]) in dialects[name].knownAnswerCodes, `${name}: ${code}`);
      }
    });
  }

  test('uses the code types each envelope needs: pyun and dianping strings, tencent integers', () => {
    for (const code of cbCodes) {
      assert.equal(typeof dialects.pyun.codes[code], 'string');
      assert.equal(typeof dialects.dianping.codes[code], 'string');
      assert.ok(Number.isInteger(dialects.tencent.codes[code]));
    }
  });

  test('maps signature and replay failures to the platform codes protocols.md names', () => {
    assert.equal(dialects.tencent.codes.CB_SIGN_MISMATCH, 400005);
    assert.equal(dialects.tencent.codes.CB_REPLAYED_NONCE, 400004);
    assert.equal(dialects.tencent.codes.CB_UNKNOWN_PARTNER, 400003);
    assert.equal(dialects.pyun.codes.CB_SIGN_MISMATCH, '1401');
    assert.equal(dialects.pyun.codes.CB_IN_PROGRESS, '1000');
    assert.equal(dialects.dianping.codes.CB_ORDER_DUPLICATE, '3001001');
    assert.equal(dialects.dianping.codes.CB_REFUND_ORDER_NOT_FOUND, '3002001');
  });

  test('gives every dianping adapter code its own 30090xx value', () => {
    const adapter = cbCodes
      .map((c) => dialects.dianping.codes[c])
      .filter((c) => !c.startsWith('300100') && !c.startsWith('300200'));
    for (const c of adapter) assert.match(c, /^30090\d\d$/);
    assert.equal(new Set(adapter).size, adapter.length);
  });

  test('docs/errors.md has one row per catalog code, matching status, message and every dialect', () => {
    assert.deepEqual([...docRows.keys()].sort(), [...cbCodes].sort());
    for (const code of cbCodes) {
      const [, status, message, retry, pyun, tencent, dianping] = docRows.get(code)!;
      assert.equal(status, String(errorCatalog[code].status), code);
      assert.equal(message, errorCatalog[code].message, code);
      assert.equal(retry, errorCatalog[code].retryable ? 'yes' : 'no', code);
      assert.equal(pyun, String(dialects.pyun.codes[code]), code);
      assert.equal(tencent, String(dialects.tencent.codes[code]), code);
      assert.equal(dianping, String(dialects.dianping.codes[code]), code);
    }
  });
});
