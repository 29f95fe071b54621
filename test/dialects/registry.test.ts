import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  allSchemes,
  builtinDescriptors,
  dialects,
  getDialect,
  getScheme,
  knownDialectNames,
  registerDialect,
} from '../../src/dialects/index';
import { builtinSchemeNames } from '../../src/dialects/scheme-names';
import type { DialectDescriptor } from '../../src/dialects/types';
import { configSchemaFile } from '../../src/config/load';

/** A dialect that borrows Tencent's codec under another name and scheme. */
function borrowed(name: string, schemeName: string, defaultScheme = schemeName): DialectDescriptor {
  const scheme = { ...getScheme('tencent-md5'), name: schemeName };
  return { dialect: { ...dialects.tencent, name, defaultScheme }, schemes: [scheme] };
}

describe('dialect registry', () => {
  test('lists the three built-in dialects, each once, with the objects the dialects map holds', () => {
    assert.deepEqual(knownDialectNames(), ['pyun', 'tencent', 'dianping']);
    for (const d of builtinDescriptors) assert.equal(getDialect(d.dialect.name), dialects[d.dialect.name]);
  });

  test("each built-in descriptor's schemes are exactly the names SchemeName is derived from, its default among them", () => {
    const fromDescriptors = builtinDescriptors.flatMap((d) => d.schemes.map((s) => s.name));
    assert.deepEqual(fromDescriptors, [...builtinSchemeNames]);
    for (const d of builtinDescriptors) {
      assert.ok(
        d.schemes.some((s) => s.name === d.dialect.defaultScheme),
        d.dialect.name,
      );
    }
  });

  test('registers a dialect and its scheme until the returned function removes them', () => {
    const remove = registerDialect(borrowed('acme', 'acme-md5'));
    try {
      assert.deepEqual(knownDialectNames(), ['pyun', 'tencent', 'dianping', 'acme']);
      assert.equal(getDialect('acme').name, 'acme');
      assert.equal(getScheme('acme-md5').name, 'acme-md5');
    } finally {
      remove();
    }
    assert.throws(
      () => getDialect('acme'),
      /unknown dialect "acme"; known dialects: pyun, tencent, dianping$/,
    );
    assert.equal(allSchemes().has('acme-md5'), false);
  });

  test('refuses a taken name, a taken scheme name, a foreign default scheme and an odd name', () => {
    assert.throws(
      () => registerDialect(borrowed('tencent', 'other-md5')),
      /dialect tencent is already registered/,
    );
    assert.throws(
      () => registerDialect(borrowed('acme', 'tencent-md5')),
      /scheme tencent-md5 already belongs to another dialect/,
    );
    assert.throws(
      () => registerDialect(borrowed('acme', 'acme-md5', 'tencent-md5')),
      /default scheme tencent-md5 is not one of its schemes/,
    );
    assert.throws(() => registerDialect(borrowed('Acme/1', 'acme-md5')), /is not a-z0-9_-/);
    assert.deepEqual(knownDialectNames(), ['pyun', 'tencent', 'dianping']);
  });
});

describe('schemas/config/config.schema.json', () => {
  test('holds no dialect: no credential key, scheme name or dialect name (they come from the registry)', () => {
    const text = readFileSync(configSchemaFile, 'utf8');
    const words = builtinDescriptors.flatMap((d) => [
      d.dialect.name,
      ...Object.values(d.dialect.credentialKeys).filter((k) => k !== 'secret'),
      ...d.schemes.map((s) => s.name),
    ]);
    assert.deepEqual(
      words.filter((w) => text.includes(`"${w}"`)),
      [],
    );
  });
});
