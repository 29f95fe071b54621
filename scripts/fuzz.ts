/**
 * Long fuzz runs: `npm run fuzz -- --runs 1000000 [--chunk 50000] [--seed S] [--http]`. Runs the
 * harness of test/fuzz — straight into the pipeline, or with --http through the whole server — in chunks, each on a fresh stack (bounded memory) with seed S + chunk index, and
 * prints one JSON line per chunk (runs, seed, ms, failure) and a summary. Exit 1 on any failure.
 */
import { fuzz, startFuzzStack } from '../test/fuzz/harness';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
}

async function main(): Promise<void> {
  const total = option('runs', 10_000);
  const chunk = option('chunk', 50_000);
  const seed = option('seed', Date.now() % 2 ** 31);
  const transport = process.argv.includes('--http') ? 'http' : 'pipeline';
  const started = performance.now();
  let done = 0;
  let failures = 0;
  for (let i = 0; done < total; i++) {
    const runs = Math.min(chunk, total - done);
    const stack = await startFuzzStack();
    try {
      const r = await fuzz(stack, runs, seed + i, transport);
      console.log(JSON.stringify({ chunk: i, transport, ...r }));
    } catch (e) {
      failures++;
      console.log(JSON.stringify({ chunk: i, runs, seed: seed + i, failure: (e as Error).message }));
    } finally {
      await stack.close();
    }
    done += runs;
  }
  const ms = Math.round(performance.now() - started);
  console.log(JSON.stringify({ total: done, seed, failures, ms }));
  process.exitCode = failures > 0 ? 1 : 0;
}

void main();
