// Every example message printed in the seed documents (test/fixtures/seeds/<dialect>/
// <message>.<direction>[.<variant>].json, transcribed as published) against its schema.
// Where a seed example carries a doc typo, the fixture keeps it and a `.corrected.json` sibling
// fixes it; the typo's effect is asserted here with the reason.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostics, loadSchemaRegistry } from '../../src/schema/registry';

const registry = loadSchemaRegistry();
const root = join(__dirname, '..', 'fixtures', 'seeds');
const FORM_DIALECTS = new Set(['pyun', 'dianping']);

/** Published examples that do not validate, with the diagnostics their typo causes. */
const TYPOS: Record<string, { why: string; diagnostics: string }> = {
  'tencent/coupon-receive.response.json': {
    why: 'the example writes data.stock_status where the table defines data.coupon_status',
    diagnostics: '/data/coupon_status: is required',
  },
  'tencent/coupon-batch-deactivate.request.json': {
    why: 'the key "app_channel_id " carries a trailing space, so the required app_channel_id is absent',
    diagnostics: '/app_channel_id: is required',
  },
  'tencent/stock-rsync.request.json': {
    why: 'five keys carry a trailing space ("coupon_name ", "coupon_desc ", "coupon_type ", "max_coupons ", "max_coupons_per_user ")',
    diagnostics:
      '/coupon_name: is required; /coupon_desc: is required; /coupon_type: is required; /max_coupons: is required; /max_coupons_per_user: is required',
  },
  'tencent/coupon-rsync.request.json': {
    why: 'three keys carry a trailing space ("stock_id ", "available_begin_time ", "available_end_time ")',
    diagnostics:
      '/stock_id: is required; /available_begin_time: is required; /available_end_time: is required',
  },
};

function fixtures(): string[] {
  return readdirSync(root)
    .flatMap((dialect) => readdirSync(join(root, dialect)).map((f) => `${dialect}/${f}`))
    .filter((f) => f.endsWith('.json'))
    .sort();
}

function schemaIdOf(fixture: string): string {
  const [dialect, file] = fixture.split('/');
  const [message, direction] = file.split('.');
  return `${dialect}/${message}.${direction}`;
}

function load(fixture: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, fixture), 'utf8')) as Record<string, unknown>;
}

/** Seed requests of form dialects are printed with the string values a form carries. */
function validateFixture(fixture: string): string {
  const id = schemaIdOf(fixture);
  const coerce = FORM_DIALECTS.has(fixture.split('/')[0]) && id.endsWith('.request');
  return formatDiagnostics(registry.validate(id, load(fixture), { coerce }));
}

describe('seed examples', () => {
  test('there is a fixture for every seed example message', () => {
    const ids = new Set(fixtures().map(schemaIdOf));
    for (const id of [
      'pyun/grant-sync-redeem.request',
      'pyun/payment-push.request',
      'dianping/consume-coupon.response',
    ]) {
      assert.ok(ids.has(id), id);
    }
    assert.equal([...ids].filter((id) => id.startsWith('tencent/')).length, 16);
  });

  for (const fixture of fixtures()) {
    const typo = TYPOS[fixture];
    if (typo) {
      test(`${fixture} as published is rejected: ${typo.why}`, () => {
        assert.equal(validateFixture(fixture), typo.diagnostics);
      });
    } else {
      test(`${fixture} validates against ${schemaIdOf(fixture)}`, () => {
        assert.equal(validateFixture(fixture), '');
      });
    }
  }

  test('every typo fixture has a corrected copy', () => {
    const all = new Set(fixtures());
    for (const fixture of Object.keys(TYPOS)) {
      assert.ok(all.has(fixture), fixture);
      assert.ok(all.has(fixture.replace(/\.json$/, '.corrected.json')), fixture);
    }
  });

  test('the published batch-deactivate answer is not JSON: a deactivate_coupons entry ends in a trailing comma', () => {
    // As published, the entry is cut after stock_id and its coupon_id / deactivate_time spill into
    // data; coupon-batch-deactivate.response.corrected.json puts them back in the entry.
    const raw = readFileSync(join(root, 'tencent', 'coupon-batch-deactivate.response.txt'), 'utf8');
    assert.throws(() => JSON.parse(raw), SyntaxError);
    const fixed = load('tencent/coupon-batch-deactivate.response.corrected.json');
    assert.deepEqual((fixed.data as Record<string, unknown[]>).deactivate_coupons, [
      { stock_id: 'test001', coupon_id: '123456789', deactivate_time: '2020-07-05T13:29:35.120+08:00' },
    ]);
  });

  test('the published coupon-status-rsync example passes only because its misspelt time keys are optional extras', () => {
    // "usage_time " and "event_time " (trailing space) are unknown extras, so their values are
    // never checked; in the corrected copy the same bad value is caught.
    const raw = { ...load('tencent/coupon-status-rsync.request.json'), 'usage_time ': 'yesterday' };
    assert.deepEqual(registry.validate('tencent/coupon-status-rsync.request', raw), []);
    const fixed = { ...load('tencent/coupon-status-rsync.request.corrected.json'), usage_time: 'yesterday' };
    assert.match(
      formatDiagnostics(registry.validate('tencent/coupon-status-rsync.request', fixed)),
      /^\/usage_time: must match pattern/,
    );
  });

  test('the published payment push is a form: its string amounts validate only with coercion', () => {
    const push = load('pyun/payment-push.request.json');
    assert.equal(
      formatDiagnostics(registry.validate('pyun/payment-push.request', push)),
      '/pay_value: must be integer',
    );
    assert.deepEqual(registry.validate('pyun/payment-push.request', push, { coerce: true }), []);
    assert.equal(push.pay_value, 100);
  });
});
