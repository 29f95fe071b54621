/**
 * The OpenAPI 3.1 document of the inbound API: valid by a maintained validator, every inbound route
 * of the shipped mappings present with its methods (read from the YAML files here, not from the
 * route table the generator uses), every $ref resolvable, and every error answer couponbridge can
 * really send valid against the response the document declares for its HTTP status.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { request } from 'undici';
import { CbError, cbCodes, errorCatalog } from '../../src/errors';
import { errorAnswer } from '../../src/pipeline/stages/answer';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { loadCheckedTable } from '../../src/server/reload';
import { openapiFor, register } from '../../src/cli/commands/openapi';
import { projectRoot } from '../../src/util/paths';
import { runCli } from '../support/cli';
import { startStack, type Stack } from '../support/stack';

const mappingsDir = join(projectRoot(), 'mappings');
const doc = openapiFor(mappingsDir) as any;

/** Inbound path → methods, straight from the shipped mapping files. */
function shippedRoutes(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of readdirSync(mappingsDir).filter((n) => n.endsWith('.yaml'))) {
    const m = parseYaml(readFileSync(join(mappingsDir, name), 'utf8')) as any;
    if (m?.flow === 'notify' || !m?.inbound?.path) continue; // outbox notifications: outbound only
    out.set(m.inbound.path, m.inbound.methods ?? ['POST']);
  }
  return out;
}

function pointer(root: unknown, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `${ref} is not local`);
  let cur: any = root;
  for (const seg of ref.slice(2).split('/')) {
    const key = decodeURIComponent(seg).replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(key in cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('couponbridge openapi', () => {
  test('the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
    assert.equal(doc.openapi, '3.1.0');
  });

  test('the validator does refuse a broken document (so the test above can fail)', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const broken = structuredClone(doc);
    broken.paths['/dianping/api/coupon/consumeCoupon'].get.parameters[0].in = 'body'; // 2.0 only
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  test('every inbound route of the shipped mappings is present with each of its methods, and nothing else', () => {
    const shipped = shippedRoutes();
    assert.ok(shipped.size >= 13, `only ${shipped.size} routes read`);
    assert.deepEqual(Object.keys(doc.paths).sort(), [...shipped.keys()].sort());
    for (const [path, methods] of shipped) {
      assert.deepEqual(Object.keys(doc.paths[path]).sort(), methods.map((m) => m.toLowerCase()).sort(), path);
    }
  });

  test('every $ref resolves inside the document', () => {
    const all = refs(doc);
    assert.ok(all.length > 100);
    for (const r of new Set(all)) assert.notEqual(pointer(doc, r), undefined, `${r} does not resolve`);
  });

  test('requests as each dialect codec reads them: Tencent JSON, P云 form or JSON, Dianping query or form', () => {
    const tencent = doc.paths['/tencent/coupon/status/rsync'].post;
    assert.deepEqual(Object.keys(tencent.requestBody.content), ['application/json']);
    assert.equal(
      tencent.requestBody.content['application/json'].schema.$ref,
      '#/components/schemas/tencent.coupon-status-rsync.request',
    );
    const push = doc.paths['/pyun/notify/payment'].post;
    assert.deepEqual(Object.keys(push.requestBody.content), [
      'application/x-www-form-urlencoded',
      'application/json',
    ]);
    const get = doc.paths['/dianping/api/coupon/consumeCoupon'].get;
    assert.equal(get.requestBody, undefined);
    const byName = new Map<string, any>(get.parameters.map((p: any) => [p.name, p]));
    assert.deepEqual(
      { in: byName.get('orderId').in, required: byName.get('orderId').required },
      { in: 'query', required: true },
    );
    assert.equal(byName.get('shopName').description, '品牌名称');
    assert.equal(byName.get('sign').required, true, 'the common parameters are listed too');
    assert.deepEqual(Object.keys(doc.paths['/dianping/api/coupon/consumeCoupon'].post.requestBody.content), [
      'application/x-www-form-urlencoded',
    ]);
  });

  test("the message schemas carry the seed's field descriptions", () => {
    const s = doc.components.schemas['tencent.coupon-status-rsync.request'];
    assert.equal(s.properties.coupon_status.description, '优惠券状态 1: 可用 2: 已使用 3: 已过期');
    assert.equal(s.properties.coupon_id.maxLength, 20);
    assert.equal(s.$id, undefined, 'no $id inside components (it would re-base the $refs)');
  });

  test('answers: the success envelope at 200 and the adapter codes per HTTP status', () => {
    const responses = doc.paths['/tencent/coupon/status/rsync'].post.responses;
    assert.deepEqual(Object.keys(responses), [
      '200',
      '400',
      '401',
      '404',
      '405',
      '409',
      '413',
      '415',
      '422',
      '429',
      '500',
      '502',
      '503',
      '504',
    ]);
    assert.deepEqual(
      responses['401'].content['application/json'].schema.properties.code.enum,
      [400003, 400004, 400005],
    );
    assert.match(
      responses['401'].description,
      /`400005` — CB_SIGN_MISSING: signature missing; CB_SIGN_MISMATCH: signature check failed/,
    );
    // the mapping's code table: P云 1002 becomes 400220 in a 200 answer
    assert.match(
      responses['200'].description,
      /`400220` — pyun answered 1002 \(code table of tencent\.coupon-status-rsync\)/,
    );
    const dianping = doc.paths['/dianping/api/coupon/consumeCoupon'].post.responses;
    assert.ok(dianping['409'].content['application/json'].schema.properties.code.enum.includes('3001001'));
  });

  test('every error answer couponbridge sends validates against the response declared for its status', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: 'https://couponbridge.test/openapi.json' });
    const registry = loadSchemaRegistry();
    const table = loadCheckedTable(mappingsDir, { registry });
    let checked = 0;
    for (const route of table.byId.values()) {
      const path = route.doc.inbound.path.replace(/~/g, '~0').replace(/\//g, '~1');
      const method = route.methods[0].toLowerCase();
      const answers = cbCodes.map((code) => errorAnswer(route.dialect, new CbError(code, 'detail')));
      // and each code-table entry as mapBack writes it
      for (const [key, entry] of Object.entries(route.doc.answer?.codes ?? {})) {
        if (entry.success || entry.code === undefined) continue;
        const transport = ['timeout', 'unreachable', 'http_error', 'unreadable'].includes(key);
        const status = entry.status ?? (transport ? (key === 'timeout' ? 504 : 502) : 200);
        answers.push(route.dialect.envelope.error({ code: entry.code, message: 'm' }, status));
      }
      for (const a of answers) {
        const ref = `https://couponbridge.test/openapi.json#/paths/${path}/${method}/responses/${a.status}/content/application~1json/schema`;
        const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
        assert.ok(
          validate(JSON.parse(a.body)),
          `${route.id} ${a.status} ${a.body}: ${JSON.stringify(validate.errors)}`,
        );
        checked++;
      }
    }
    assert.ok(checked > cbCodes.length * 13);
    assert.equal(errorCatalog.CB_SIGN_MISMATCH.status, 401);
  });
});

describe('couponbridge openapi: served and printed', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  test('GET /openapi.json serves the document of the mappings in force', async () => {
    const res = await request(`${stack.url}/openapi.json`);
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const served = (await res.body.json()) as any;
    assert.equal(served.openapi, '3.1.0');
    assert.deepEqual(Object.keys(served.paths).sort(), [...shippedRoutes().keys()].sort());
  });

  test("the command prints the document for the configuration's mappings; a missing configuration is exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-openapi-'));
    const config = join(dir, 'couponbridge.yaml');
    writeFileSync(
      config,
      `store: "sqlite::memory:"\nmappings: "${mappingsDir}"\nupstreams:\n  pyun: { base_url: "http://pyun.openapi.test", app_id: op-openapi, app_secret: openapi-secret-000001 }\npartners: []\n`,
    );
    const run = (args: string[]) => runCli([register], ['openapi', ...args]);
    const ok = await run(['--config', config]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), doc);
    const missing = await run(['--config', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^couponbridge: .*nope\.yaml: cannot read/);
  });
});
