/**
 * The container image's production artefact, proven without Docker: scripts/container-proof.ts
 * follows the Dockerfile's own build and final-stage steps in a temporary folder (offline: the
 * installed packages stand in for `npm ci`, production ones only after the prune), starts it with
 * NODE_ENV=production and a mounted-style config, and checks /healthz, /readyz and a translation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proveContainer, readDockerfile } from '../../scripts/container-proof';

test('the Dockerfile ships dist, production node_modules, schemas, mappings and the defaults', () => {
  const steps = readDockerfile();
  assert.deepEqual([...steps.shipped].sort(), [
    'bin',
    'couponbridge.default.yaml',
    'dist',
    'mappings',
    'node_modules',
    'package.json',
    'schemas',
  ]);
  assert.equal(steps.env.NODE_ENV, 'production');
  assert.deepEqual(steps.cmd, [
    'node',
    'bin/couponbridge.js',
    'serve',
    '--config',
    '/etc/couponbridge/couponbridge.yaml',
  ]);
  assert.ok(steps.buildRuns.some((r) => r.includes('npm prune --omit=dev')));
});

test('the production layout starts, is healthy and ready, and translates a signed message', async () => {
  const r = await proveContainer({ offline: true });
  assert.equal(r.healthz, 200);
  assert.equal(r.readyz, 200);
  assert.deepEqual(r.translation, { status: 200, code: 0, pyunReceived: 1 });
  assert.deepEqual(r.devPackagesShipped, [], 'no dev-only package (typescript, tsx, eslint…) in the image');
});
