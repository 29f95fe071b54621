/**
 * Proves the container image's production artefact without a Docker engine: follows the
 * Dockerfile's own steps in a temporary folder, then starts the result the way the image does
 * and checks /healthz, /readyz and one signed translation against the sandbox P云.
 *
 * The steps are read from the Dockerfile, not restated here: the build stage's COPY lines say
 * what the build sees, its RUN lines what runs (`npm ci …`, `npm run build && npm prune
 * --omit=dev`), and the final stage's `COPY --from=build` lines what the image ships — so a
 * Dockerfile that forgets a folder fails this proof.
 *
 *   npx tsx scripts/container-proof.ts            # the real steps: npm ci (network or cache), rebuild, build, prune
 *   npx tsx scripts/container-proof.ts --offline  # npm ci replaced by the repository's installed packages
 *                                                 # (the test suite's mode); build and prune as in the image
 *   … --keep                                      # leave the temporary folder (build/, app/) for inspection
 *
 * Offline, the build links the repository's node_modules (dev packages included, as `npm ci`
 * would install), and the prune step keeps exactly the packages package-lock.json marks as
 * production ones — what `npm prune --omit=dev` leaves.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { getDialect } from '../src/dialects';
import { startSandbox } from '../src/sandbox';

const root = join(__dirname, '..');

export interface DockerSteps {
  /** Build stage: repository paths copied in (COPY <src…> <dest>). */
  buildCopies: Array<{ sources: string[]; dest: string }>;
  /** Build stage: shell commands of RUN lines after WORKDIR (apt-get lines are the image's OS, skipped). */
  buildRuns: string[];
  /** Final stage: paths shipped from the build stage (relative to /app). */
  shipped: string[];
  env: Record<string, string>;
  cmd: string[];
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function readDockerfile(path = join(root, 'Dockerfile')): DockerSteps {
  const steps: DockerSteps = { buildCopies: [], buildRuns: [], shipped: [], env: {}, cmd: [] };
  let stage = -1;
  let workdir = false;
  for (const line of instructions(readFileSync(path, 'utf8'))) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op === 'FROM') {
      stage += 1;
      workdir = false;
    } else if (op === 'WORKDIR') workdir = true;
    else if (op === 'COPY' && stage === 0) {
      const parts = rest.filter((p) => !p.startsWith('--'));
      steps.buildCopies.push({ sources: parts.slice(0, -1), dest: parts.at(-1)! });
    } else if (op === 'RUN' && stage === 0 && workdir) steps.buildRuns.push(args);
    else if (op === 'COPY' && stage === 1 && rest[0] === '--from=build') {
      steps.shipped.push(rest[1].replace(/^\/app\//, ''));
    } else if (op === 'ENV' && stage === 1) {
      const [k, v] = args.split('=');
      steps.env[k] = v;
    } else if (op === 'CMD' && stage === 1) steps.cmd = JSON.parse(args) as string[];
  }
  if (stage !== 1) throw new Error(`expected a build stage and a final stage, found ${stage + 1} stages`);
  return steps;
}

function run(cmd: string, cwd: string, log: (l: string) => void): void {
  log(`$ ${cmd}`);
  const r = spawnSync('sh', ['-c', cmd], { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`"${cmd}" failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** package-lock.json's production packages (what `npm prune --omit=dev` keeps). */
export function productionPackages(lockPath: string): string[] {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([p, meta]) => p.startsWith('node_modules/') && !meta.dev && !meta.devOptional)
    .map(([p]) => p);
}

/** Builds dist/ in `build` following the build stage; offline replaces npm ci and npm prune. */
function buildStage(steps: DockerSteps, build: string, offline: boolean, log: (l: string) => void): void {
  for (const { sources, dest } of steps.buildCopies) {
    for (const s of sources) {
      const target =
        dest.endsWith('/') || sources.length > 1 ? join(build, dest, s.split('/').pop()!) : join(build, dest);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(root, s), target, { recursive: true });
    }
  }
  for (const cmd of steps.buildRuns) {
    if (offline && /^npm ci\b/.test(cmd)) {
      log(`offline: instead of "${cmd}", the repository's installed node_modules`);
      symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'), 'dir');
      continue;
    }
    if (offline && cmd.includes('npm prune --omit=dev')) {
      const [before] = cmd.split('&&').map((c) => c.trim());
      run(before, build, log);
      log('offline: instead of "npm prune --omit=dev", a copy of package-lock.json\'s production packages');
      rmSync(join(build, 'node_modules'));
      for (const p of productionPackages(join(build, 'package-lock.json'))) {
        const from = join(root, p);
        if (existsSync(from)) cpSync(from, join(build, p), { recursive: true, dereference: true });
      }
      continue;
    }
    run(cmd, build, log);
  }
}

function finalStage(steps: DockerSteps, build: string, app: string): void {
  for (const p of steps.shipped) cpSync(join(build, p), join(app, p), { recursive: true });
}

export interface ProofResult {
  app: string;
  healthz: number;
  readyz: number;
  translation: { status: number; code: unknown; pyunReceived: number };
  devPackagesShipped: string[];
}

async function waitForListening(child: ChildProcess, ms: number): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const seen: string[] = [];
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  try {
    for await (const line of lines) {
      seen.push(line);
      try {
        const entry = JSON.parse(line) as { message?: string; url?: string };
        if (entry.message === 'couponbridge listening' && entry.url) return entry.url;
      } catch {
        // not a log line
      }
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`couponbridge exited before listening:\n${seen.join('\n')}`);
}

export async function proveContainer(opts: {
  offline: boolean;
  /** Leave the temporary folder (build/, app/) for inspection. */
  keep?: boolean;
  log?: (l: string) => void;
}): Promise<ProofResult> {
  const log = opts.log ?? (() => undefined);
  const steps = readDockerfile();
  const base = mkdtempSync(join(tmpdir(), 'cb-image-'));
  const build = join(base, 'build');
  const app = join(base, 'app');
  const etc = join(base, 'etc-couponbridge');
  const varLib = join(base, 'var-lib-couponbridge');
  for (const d of [build, app, etc, varLib]) mkdirSync(d, { recursive: true });
  const sandbox = await startSandbox({
    pyun: { app_id: 'op-image-proof', app_secret: 'image-proof-pyun-secret-1' },
  });
  let child: ChildProcess | undefined;
  try {
    buildStage(steps, build, opts.offline, log);
    finalStage(steps, build, app);
    // The mounted config, as docs/deployment-docker.md tells operators to write it (relative paths
    // resolve against the config file's folder, so the image's paths are spelled out); the image's
    // /app and /var/lib/couponbridge are this proof's temporary folders.
    const configFile = join(etc, 'couponbridge.yaml');
    writeFileSync(
      configFile,
      `server: { host: 0.0.0.0, port: 0 }
store: "sqlite:/var/lib/couponbridge/couponbridge.db"
mappings: /app/mappings
grant_serial_fallback: coupon_id
upstreams:
  pyun: { base_url: "${sandbox.pyunUrl}", app_id: op-image-proof, app_secret: "\${PYUN_APP_SECRET}" }
partners:
  # sp-demo: the partner the shipped stock catalogue allows on its stocks.
  - { id: sp-demo, dialect: tencent, api_key: SPIMAGEKEY, secret: "\${SP_IMAGE_SECRET}" }
`
        .replace('/var/lib/couponbridge', varLib)
        .replace('/app/', `${app}/`),
    );
    const [exe, ...args] = steps.cmd;
    const argv = args.map((a) => (a === '/etc/couponbridge/couponbridge.yaml' ? configFile : a));
    log(
      `$ ${[exe, ...argv].join(' ')}  (cwd ${app}, ${Object.entries(steps.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`,
    );
    child = spawn(exe === 'node' ? process.execPath : exe, argv, {
      cwd: app,
      env: {
        PATH: process.env.PATH,
        ...steps.env,
        PYUN_APP_SECRET: 'image-proof-pyun-secret-1',
        SP_IMAGE_SECRET: 'image-proof-sp-secret-01',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = (await waitForListening(child, 30_000)).replace('0.0.0.0', '127.0.0.1');
    const status = async (path: string) => {
      const r = await request(`${url}${path}`);
      await r.body.dump();
      return r.statusCode;
    };
    const healthz = await status('/healthz');
    const readyz = await status('/readyz');
    const built = getDialect('tencent').buildRequest(
      { method: 'POST', path: '/tencent/coupon/status/rsync', encoding: 'json' },
      {
        app_channel_id: 0,
        user_code: 'u-image',
        stock_id: 'cb-demo-001',
        coupon_id: 'C-image-proof',
        coupon_status: 2,
        usage_time: '2024-03-01T10:15:30.120+08:00',
      },
      { keyId: 'SPIMAGEKEY', secret: 'image-proof-sp-secret-01', scheme: 'tencent-md5' },
    );
    const res = await request(`${url}/tencent/coupon/status/rsync`, {
      method: 'POST',
      headers: built.headers,
      body: built.body,
    });
    const answer = (await res.body.json()) as { code?: unknown };
    const prod = new Set(productionPackages(join(build, 'package-lock.json')));
    // Dev-only packages (typescript, tsx, eslint…): a direct dev dependency that is nobody's
    // production dependency. @types/node, for one, is both (http-proxy-middleware needs it).
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const devDeps = Object.keys(pkg.devDependencies).filter((d) => !prod.has(`node_modules/${d}`));
    return {
      app,
      healthz,
      readyz,
      translation: {
        status: res.statusCode,
        code: answer.code,
        pyunReceived: sandbox.requests({ target: 'pyun' }).length,
      },
      devPackagesShipped: devDeps.filter((d) => existsSync(join(app, 'node_modules', d))),
    };
  } finally {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((r) => child!.once('exit', r));
    await sandbox.close();
    if (!opts.keep) rmSync(base, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const offline = process.argv.includes('--offline');
  const keep = process.argv.includes('--keep');
  proveContainer({ offline, keep, log: (l) => process.stdout.write(`${l}\n`) }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      const ok =
        r.healthz === 200 &&
        r.readyz === 200 &&
        r.translation.status === 200 &&
        r.translation.code === 0 &&
        r.translation.pyunReceived === 1 &&
        r.devPackagesShipped.length === 0;
      process.stdout.write(ok ? 'container artefact proven\n' : 'container artefact FAILED\n');
      process.exitCode = ok ? 0 : 1;
    },
    (e: Error) => {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
