import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { listSchemaFiles, loadSchemaRegistry } from '../../src/schema/registry';
import { isNode, nodeAt, resolveRef, type SchemaNode } from '../../src/schema/navigate';
import { projectRoot } from '../../src/util/paths';

const schemasDir = join(projectRoot(), 'schemas');
const registry = loadSchemaRegistry();
const DIALECTS = ['pyun', 'tencent', 'dianping'];

const MESSAGES = [
  'pyun/grant-sync-redeem.request',
  'pyun/grant-sync-expire.request',
  'pyun/grant-sync.response',
  'pyun/mcoupon-event.request',
  'pyun/mcoupon-event.response',
  'pyun/payment-push.request',
  'pyun/payment-push.response',
  ...['stock-query', 'coupon-receive', 'coupon-deactivate', 'coupon-batch-deactivate']
    .concat(['stock-rsync', 'coupon-rsync', 'stock-status-rsync', 'coupon-status-rsync'])
    .flatMap((m) => [`tencent/${m}.request`, `tencent/${m}.response`]),
  ...['consume-coupon', 'consume-core-coupon', 'consume-extend-coupon', 'consume-coupon-order'].flatMap(
    (m) => [`dianping/${m}.request`, `dianping/${m}.response`],
  ),
];

function dialectFiles(): string[] {
  return DIALECTS.flatMap((d) => readdirSync(join(schemasDir, d)).map((f) => join(schemasDir, d, f)));
}

function withTempSchemas(files: Record<string, unknown>, run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'cb-schemas-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), JSON.stringify(content));
    }
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

describe('loadSchemaRegistry', () => {
  test('loads every message schema the seeds define', () => {
    for (const id of MESSAGES) assert.ok(registry.has(id), id);
    assert.equal(MESSAGES.length, 31);
  });

  test('loads every *.schema.json under schemas/, mapping and config included', () => {
    const files = listSchemaFiles(schemasDir);
    assert.ok(files.some((f) => f.includes(`${sep}mapping${sep}`) || f.includes(`${sep}config${sep}`)));
    assert.equal(registry.ids().length, files.length);
  });

  test('names each dialect schema by its path and declares draft 2020-12', () => {
    for (const file of dialectFiles()) {
      const schema = JSON.parse(readFileSync(file, 'utf8')) as SchemaNode;
      const expected = relative(schemasDir, file)
        .split(sep)
        .join('/')
        .replace(/\.schema\.json$/, '');
      assert.equal(schema.$id, expected, file);
      assert.equal(schema.$schema, DRAFT, file);
    }
  });

  test('every top-level required name of a dialect schema is a declared property', () => {
    for (const id of registry.ids().filter((i) => DIALECTS.includes(i.split('/')[0]))) {
      const declared = new Set(registry.properties(id));
      for (const name of registry.required(id)) assert.ok(declared.has(name), `${id}: ${name}`);
    }
  });

  test('every top-level property of a message schema carries a description', () => {
    const described = (node: SchemaNode, doc: string): boolean => {
      if (typeof node.description === 'string' && node.description !== '') return true;
      if (typeof node.$ref !== 'string') return false;
      const target = resolveRef(node.$ref, doc);
      const next = nodeAt(registry.schema(target.doc), target.pointer);
      return next !== undefined && described(next, target.doc);
    };
    for (const id of MESSAGES) {
      const roots = [registry.schema(id)];
      for (const member of (registry.schema(id).allOf as SchemaNode[] | undefined) ?? []) {
        roots.push(registry.schema(resolveRef(member.$ref as string, id).doc));
      }
      for (const root of roots) {
        const props = isNode(root.properties) ? root.properties : {};
        for (const [name, prop] of Object.entries(props)) {
          assert.ok(described(prop as SchemaNode, String(root.$id)), `${id}: ${name}`);
        }
      }
    }
  });

  test('gives a schema without $id its path as id', () => {
    withTempSchemas({ 'a/b/thing.schema.json': { $schema: DRAFT, type: 'object' } }, (dir) => {
      assert.deepEqual(loadSchemaRegistry(dir).ids(), ['a/b/thing']);
    });
  });

  test('refuses a schema with an unknown keyword (strict mode), naming the file', () => {
    withTempSchemas({ 'x/bad.schema.json': { $schema: DRAFT, type: 'string', maxlength: 3 } }, (dir) => {
      assert.throws(() => loadSchemaRegistry(dir), /bad\.schema\.json.*maxlength/);
    });
  });

  test('refuses two files with the same $id', () => {
    const s = { $schema: DRAFT, $id: 'x/same', type: 'string' };
    withTempSchemas({ 'x/one.schema.json': s, 'x/two.schema.json': s }, (dir) => {
      assert.throws(() => loadSchemaRegistry(dir), /schema id "x\/same" already used/);
    });
  });

  test('refuses a file that is not JSON, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-schemas-'));
    try {
      writeFileSync(join(dir, 'broken.schema.json'), '{ "type": ');
      assert.throws(() => loadSchemaRegistry(dir), /broken\.schema\.json: not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('throws on an unknown id', () => {
    assert.throws(
      () => registry.validate('tencent/nope.request', {}),
      /unknown schema id "tencent\/nope.request"/,
    );
    assert.throws(() => registry.hasPath('nope', 'a'), /unknown schema id/);
    assert.throws(() => registry.required('nope'), /unknown schema id/);
    assert.throws(() => registry.schema('nope'), /unknown schema id/);
  });

  test('hands out schemas that cannot be changed behind its back', () => {
    const s = registry.schema('tencent/stock-query.request');
    assert.throws(() => {
      (s as { title: string }).title = 'changed';
    }, TypeError);
  });
});

describe('hasPath', () => {
  const cases: Array<[string, string, boolean]> = [
    ['tencent/stock-rsync.request', 'fixed_normal_coupon.coupon_amount', true],
    ['tencent/stock-rsync.request', 'fixed_normal_coupon.discount_percent', false],
    ['tencent/stock-query.response', 'data.discount_coupon.discount_percent', true],
    ['tencent/stock-query.response', 'data.plate', false],
    ['tencent/coupon-batch-deactivate.request', 'coupons.0.coupon_id', true],
    ['tencent/coupon-batch-deactivate.request', 'coupons[].coupon_id', true],
    ['tencent/coupon-batch-deactivate.request', 'coupons[0].stock_id', true],
    ['tencent/coupon-batch-deactivate.request', 'coupons.0.plate', false],
    ['tencent/coupon-batch-deactivate.response', 'data.illegal_coupons[].coupon_status', true],
    ['tencent/coupon-status-rsync.request', 'api_key', true],
    ['tencent/coupon-status-rsync.request', 'usage_time', true],
    ['tencent/coupon-status-rsync.request', 'usage_time.x', false],
    ['pyun/mcoupon-event.request', 'metadata.charging.value', true],
    ['pyun/mcoupon-event.request', 'metadata.charging.unit', false],
    ['pyun/mcoupon-event.response', 'payload.grant_serial', true],
    ['pyun/payment-push.request', 'mcoupons[].grant_serial', true],
    ['pyun/payment-push.request', 'discounts.0.relief_value', true],
    ['pyun/grant-sync-redeem.request', 'sign', true],
    ['dianping/consume-coupon.request', 'couponCode[0]', true],
    ['dianping/consume-coupon.request', 'attributes.plate', true],
    ['dianping/consume-coupon.response', 'code', true],
    ['dianping/consume-coupon.request', 'nope', false],
    ['dianping/consume-coupon.request', 'orderId..x', false],
  ];
  for (const [id, path, expected] of cases) {
    test(`${expected ? 'finds' : 'does not find'} ${path} in ${id}`, () => {
      assert.equal(registry.hasPath(id, path), expected);
    });
  }
});

describe('required and properties', () => {
  test('required lists the message fields and the common parameters it inherits', () => {
    assert.deepEqual(registry.required('tencent/coupon-status-rsync.request').sort(), [
      'api_key',
      'app_channel_id',
      'coupon_id',
      'coupon_status',
      'nonce',
      'seq_id',
      'sign',
      'stock_id',
      'timestamp',
      'user_code',
    ]);
  });

  test('app_id is optional in the redeem form and required in the expire form', () => {
    assert.ok(!registry.required('pyun/grant-sync-redeem.request').includes('app_id'));
    assert.ok(registry.required('pyun/grant-sync-expire.request').includes('app_id'));
    assert.ok(registry.properties('pyun/grant-sync-redeem.request').includes('app_id'));
  });

  test('properties names each top-level property once', () => {
    assert.deepEqual(registry.properties('dianping/consume-coupon.response'), ['status', 'code', 'message']);
    const props = registry.properties('pyun/mcoupon-event.request');
    assert.equal(new Set(props).size, props.length);
  });
});
