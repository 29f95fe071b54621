/**
 * Import rules of src/, checked by `npm run lint:imports` and by test/architecture/imports.test.ts
 * (part of `npm test`). docs/architecture.md draws the same picture.
 *
 * 1. No circular imports, type-only imports included: a cycle means two modules are one.
 * 2. Layers, highest first. A module may import its own layer and any layer below it, never one
 *    above. A new folder of src/ must be placed here (rule `layer-unplaced`).
 *
 *    entry       server, cli, console, sandbox, contract — the ways in: the HTTP server, the command line,
 *                the operator console (the web face of the cli commands, mounted by the server)
 *                and the stand-in upstreams, and the contract tests' offline harness (a runtime the
 *                cli's `test` command drives like the server). The server mounts the console and
 *                the cli starts the server, so they are one layer; nothing below imports them.
 *    flows       flows (with flows/registry.ts, which dispatches a mapping's `flow:`), replay —
 *                the per-route rules. replay/ runs recorded exchanges through the pipeline's
 *                stages as a flow does.
 *    pipeline    pipeline (parse → verify → validate → map → sign → call → answer), outbox (the
 *                notifications flows enqueue and the worker delivers).
 *    domain      mapping, dialects, ledger, reconcile, config, runtime.ts, rate-limit.ts, http, openapi —
 *                the mapping files, the three protocols, the coupon ledger and settlement, and the
 *                running configuration built from them (runtime.ts joins config, dialects, HTTP
 *                clients and rate limits). These import each other; the cycle rule keeps them apart.
 *    store       store — statements, transactions and the pure decisions of both backends.
 *    foundation  errors.ts, log.ts, money.ts, time.ts, util, schema, generated, and
 *                ledger/state-machine.ts — the pure coupon state machine, which the store enforces
 *                inside its write transactions, so it sits below the store.
 *
 *    The layer rule governs code that runs: a type-only import (`import type`) leaves nothing in
 *    the JavaScript, and the record types (Exchange of pipeline/context.ts, Runtime, Store) are the
 *    vocabulary every layer speaks, so type-only imports are exempt from it (not from rule 1).
 */

/** Each layer's modules as path patterns (relative to the repository root), highest layer first. */
const layers = [
  {
    name: 'entry',
    paths: ['^src/server/', '^src/cli/', '^src/console/', '^src/sandbox/', '^src/contract/'],
  },
  { name: 'flows', paths: ['^src/flows/', '^src/replay/'] },
  { name: 'pipeline', paths: ['^src/pipeline/', '^src/outbox/'] },
  {
    name: 'domain',
    paths: [
      '^src/mapping/',
      '^src/dialects/',
      '^src/ledger/(?!state-machine[.]ts$)',
      '^src/reconcile/',
      '^src/config/',
      '^src/runtime[.]ts$',
      '^src/rate-limit[.]ts$',
      '^src/http/',
      '^src/openapi/',
    ],
  },
  { name: 'store', paths: ['^src/store/'] },
  {
    name: 'foundation',
    paths: [
      '^src/errors[.]ts$',
      '^src/log[.]ts$',
      '^src/money[.]ts$',
      '^src/time[.]ts$',
      '^src/util/',
      '^src/schema/',
      '^src/generated/',
      '^src/ledger/state-machine[.]ts$',
    ],
  },
];

const layerRules = layers.slice(1).map((layer, i) => {
  const above = layers.slice(0, i + 1);
  return {
    name: `layer-${layer.name}`,
    severity: 'error',
    comment: `${layer.name} imports a higher layer (${above.map((l) => l.name).join(', ')}); see .dependency-cruiser.cjs`,
    from: { path: layer.paths },
    to: { path: above.flatMap((l) => l.paths), dependencyTypesNot: ['type-only'] },
  };
});

const everyLayer = layers.flatMap((l) => l.paths);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a circular import: break it by moving what both sides need below both',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'layer-unplaced',
      severity: 'error',
      comment: 'a module of src/ in no layer: place its folder in .dependency-cruiser.cjs',
      from: { path: '^src/', pathNot: everyLayer },
      to: {},
    },
    {
      name: 'layer-unplaced',
      severity: 'error',
      comment: 'a module of src/ in no layer: place its folder in .dependency-cruiser.cjs',
      from: {},
      to: { path: '^src/', pathNot: everyLayer },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
