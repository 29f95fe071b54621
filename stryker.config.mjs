// Mutation testing (StrykerJS) of one scope, chosen by MUTATE_SCOPE; `npm run mutate`
// (scripts/mutate.mjs) runs every scope in turn. Not part of `npm test`: it runs test files once per
// mutant and takes the better part of an hour. docs/mutation.md gives the scores and the survivors.
//
// The tap runner runs each test file as `node --import tsx <file>` (node:test prints TAP) and
// records which files reach which mutant, so a mutant re-runs only the files that execute it. A
// file is the runner's unit, stopped at its first failing test. A surviving mutant runs every file
// that reaches it, so each scope lists its own unit suites and only the end-to-end files that drive
// its code: the whole suite per mutant would take days.

/**
 * Each scope: the code mutated and the test files run against it. The dialects are split: their
 * signatures (`signatures`) and the rest (`dialects`: codecs, envelopes, code tables, clients).
 */
const scopes = {
  money: {
    mutate: ['src/money.ts'],
    testFiles: ['test/money.test.ts', 'test/dialects/**/*.test.ts', 'test/contract/shipped-cases.test.ts'],
  },
  signatures: {
    mutate: ['src/dialects/shared/signing.ts', 'src/dialects/*/signer.ts'],
    testFiles: [
      'test/dialects/*/signer.test.ts',
      'test/dialects/vectors.test.ts',
      'test/dialects/schemes.test.ts',
      'test/dialects/round-trip.test.ts',
    ],
  },
  dialects: {
    mutate: ['src/dialects/**/*.ts', '!src/dialects/shared/signing.ts', '!src/dialects/*/signer.ts'],
    testFiles: ['test/dialects/**/*.test.ts'],
  },
  ledger: {
    mutate: ['src/ledger/**/*.ts'],
    testFiles: [
      'test/ledger/*.test.ts',
      'test/store/decisions.test.ts',
      'test/e2e/claim-quota.test.ts',
      'test/e2e/ownership-tencent.test.ts',
    ],
  },
  mapping: {
    mutate: ['src/mapping/**/*.ts'],
    testFiles: [
      'test/mapping/compile.test.ts',
      'test/mapping/codes.test.ts',
      'test/mapping/converters.test.ts',
      'test/mapping/identities.test.ts',
      'test/contract/shipped-cases.test.ts',
    ],
  },
};

const scope = process.env.MUTATE_SCOPE ?? '';
if (!(scope in scopes)) {
  throw new Error(`MUTATE_SCOPE must be one of ${Object.keys(scopes).join(', ')} (npm run mutate runs all)`);
}
// MUTATE_REPORT names the reports of a run narrowed with --mutate (default: the scope's name).
const report = `reports/mutation/${process.env.MUTATE_REPORT ?? scope}`;

// The test files expect NODE_ENV=test, as scripts/run-tests.mjs sets it; the runners inherit it.
process.env.NODE_ENV = 'test';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: scopes[scope].mutate,
  testRunner: 'tap',
  tap: {
    testFiles: scopes[scope].testFiles,
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap'],
    // Not forceBail: killing a file at its first failure inside a describe() was seen to leave
    // mutants "survived" that a hand check kills (docs/mutation.md); a file runs to its end.
    forceBail: false,
  },
  coverageAnalysis: 'perTest',
  // Two cores shared with other work: one runner per core.
  concurrency: 2,
  // A loaded machine slows a run several-fold; a mutant only times out well past its dry-run time.
  timeoutFactor: 2,
  timeoutMS: 15000,
  // The first run (all listed files, one after the other, recording coverage) takes minutes when loaded.
  dryRunTimeoutMinutes: 30,
  // Only what the tests read is copied into the sandbox.
  ignorePatterns: ['dist', 'var', 'bench/results', 'bench/.build', 'reports', 'deploy', '*.cpuprofile'],
  // A re-run only tests the mutants of changed code or of changed test files.
  incremental: true,
  incrementalFile: `${report}.incremental.json`,
  // event-recorder writes each mutant's result as it comes (reports/mutation/<scope>.events/), so a
  // long run can be read, or a stopped one counted, before the final reports.
  reporters: ['clear-text', 'progress-append-only', 'html', 'json', 'event-recorder'],
  eventReporter: { baseDir: `${report}.events` },
  htmlReporter: { fileName: `${report}.html` },
  jsonReporter: { fileName: `${report}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: '.stryker-tmp',
};
