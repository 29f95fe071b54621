// The schema registry loads a dialect's schemas from a directory of its own beside schemas/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSchemaDir, loadSchemaRegistry } from '../../src/schema/registry';

test('schemas of several directories, ids relative to each; an id given twice across them is refused', () => {
  const registry = loadSchemaRegistry([defaultSchemaDir(), join(__dirname, 'schemas')]);
  assert.ok(registry.has('pyun/grant-sync-redeem.request'));
  assert.ok(registry.has('kerbside/redeem.request'));
  assert.deepEqual(registry.validate('kerbside/voucher.request', { voucher_id: 'V' })[0]?.rule, 'required');

  const dir = mkdtempSync(join(tmpdir(), 'cb-schemas-'));
  mkdirSync(join(dir, 'pyun'));
  writeFileSync(join(dir, 'pyun', 'grant-sync.response.schema.json'), '{"type":"object"}');
  // ids from $id and from the path collide alike
  assert.throws(
    () => loadSchemaRegistry([defaultSchemaDir(), dir]),
    /grant-sync\.response\.schema\.json: schema id "pyun\/grant-sync\.response" already used by .*schemas\/pyun\//,
  );
});
