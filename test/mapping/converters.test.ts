// Every named converter a mapping file may use, with literal values: a converter is one outbound
// value of every branch that names it, so each rule and each refusal is pinned here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { converters, nowFormats, plateFromExtra } from '../../src/mapping/converters';

// 2024-03-01T08:00:00.000Z, which is 16:00 in Beijing.
const MS = 1709280000000;
const now = new Date(MS + 789);

describe('time converters', () => {
  test('convert epochs in the unit they name, to UTC or Beijing time', () => {
    assert.equal(converters.epoch_ms_to_utc(MS), '2024-03-01T08:00:00.000Z');
    assert.equal(converters.epoch_s_to_utc(MS / 1000), '2024-03-01T08:00:00.000Z');
    assert.equal(converters.epoch_ms_to_cst(MS), '2024-03-01T16:00:00.000+08:00');
    assert.equal(converters.epoch_to_utc(MS / 1000), '2024-03-01T08:00:00.000Z');
    assert.equal(converters.epoch_to_utc(MS), '2024-03-01T08:00:00.000Z');
    assert.equal(converters.to_cst('2024-03-01T08:00:00.000Z'), '2024-03-01T16:00:00.000+08:00');
    assert.equal(converters.iso_to_epoch_ms('2024-03-01T16:00:00.000+08:00'), '1709280000000');
  });

  test('now formats: UTC, Beijing, epoch ms and whole epoch seconds', () => {
    assert.equal(nowFormats.utc(now), '2024-03-01T08:00:00.789Z');
    assert.equal(nowFormats.cst(now), '2024-03-01T16:00:00.789+08:00');
    assert.equal(nowFormats.epoch_ms(now), '1709280000789');
    assert.equal(nowFormats.epoch_s(now), '1709280000');
  });
});

describe('value converters', () => {
  test('money: 元 text to integer 分 and back', () => {
    assert.equal(converters.yuan_to_fen('0.50'), 50);
    assert.equal(converters.fen_to_yuan(1999), '19.99');
    assert.equal(converters.fen_to_yuan('5'), '0.05');
  });

  test('string writes numbers and booleans as text and objects as JSON, and refuses nothing else', () => {
    assert.equal(converters.string(15), '15');
    assert.equal(converters.string(true), 'true');
    assert.equal(converters.string('x'), 'x');
    assert.equal(converters.string({ a: [1] }), '{"a":[1]}');
    assert.throws(() => converters.string(null), /expected a string, got null/);
    assert.throws(() => converters.upper(undefined), /expected a string, got undefined/);
  });

  test('integer reads numbers and digit text, and refuses anything fractional or not a number', () => {
    assert.equal(converters.integer(7), 7);
    assert.equal(converters.integer(' 42 '), 42);
    assert.equal(converters.integer('-3'), -3);
    assert.throws(() => converters.integer('4.5'), /not an integer: "4.5"/);
    assert.throws(() => converters.integer(1.5), /not an integer: 1.5/);
    assert.throws(() => converters.integer('abc'), /not an integer: "abc"/);
  });

  test('json_decode names invalid JSON by its first 40 characters', () => {
    assert.deepEqual(converters.json_decode('{"a":1}'), { a: 1 });
    assert.throws(() => converters.json_decode(`{${'x'.repeat(50)}`), {
      message: `not valid JSON: {${'x'.repeat(39)}`,
    });
  });

  test('upper and lower case', () => {
    assert.equal(converters.upper('ab1c'), 'AB1C');
    assert.equal(converters.lower('AB1C'), 'ab1c');
  });
});

describe('plate_from_extra', () => {
  test('reads the plate of a JSON object, trimmed', () => {
    assert.equal(plateFromExtra('{"plate":" 粤B12345 "}'), '粤B12345');
    assert.equal(converters.plate_from_extra(' {"plate":"京A1234D"} '), '京A1234D');
  });

  test('takes a bare plate string as it is', () => {
    assert.equal(plateFromExtra('粤B12345'), '粤B12345');
    assert.equal(plateFromExtra(' 粤BD12345 '), '粤BD12345');
  });

  test('yields nothing for anything else, so a required plate fails as "no value"', () => {
    for (const v of [
      undefined,
      5,
      '',
      '{"plate":""}',
      '{"plate":"  "}',
      '{"plate":7}',
      '{broken',
      'B12345',
      '粤b12345',
      '粤B123',
      'x粤B12345',
      '粤B12345678',
    ])
      assert.equal(plateFromExtra(v), undefined, String(v));
  });
});
