/**
 * Imports run one way (.dependency-cruiser.cjs): no cycles, and no layer imports a higher one.
 * The second test proves the rules bite, on a small tree with one of each mistake.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

/** Runs dependency-cruiser over `src/` of `cwd`; one line per violation, sorted. */
function violations(cwd: string): Promise<string[]> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [depcruise, 'src', '--config', config, '--output-type', 'json'],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        let report: { summary: { violations: Violation[] } };
        try {
          report = JSON.parse(stdout);
        } catch {
          fail(new Error(`dependency-cruiser gave no report (${error?.message ?? ''}): ${stderr}`));
          return;
        }
        const lines = report.summary.violations.map((v) =>
          v.cycle
            ? `${v.rule.name}: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')}`
            : `${v.rule.name}: ${v.from} → ${v.to}`,
        );
        done(lines.sort());
      },
    );
  });
}

describe('import layering', () => {
  test('src/ has no circular import and no layer reversal', { timeout: 180_000 }, async () => {
    const found = await violations(root);
    if (found.length > 0) {
      assert.fail(
        `${found.length} import rule violation(s), see .dependency-cruiser.cjs:\n${found.join('\n')}`,
      );
    }
  });

  test(
    'the rules report a cycle, a reversal and an unplaced folder, and spare what is allowed',
    {
      timeout: 180_000,
    },
    async () => {
      assert.deepEqual(await violations(join(root, 'test', 'fixtures', 'layering')), [
        'layer-store: src/store/rows.ts → src/server/banner.ts',
        'layer-unplaced: src/widgets/gadget.ts → src/util/twice.ts',
        'no-circular: src/flows/accept.ts → src/flows/answer.ts → src/flows/accept.ts',
      ]);
    },
  );
});
