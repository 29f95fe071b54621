/**
 * Bundles bench/child.ts (with src/) into one CommonJS file with esbuild, so processes under test
 * run plain node: tsx adds ~40 MB of RSS (its loader thread) that production does not carry.
 * node_modules stay external. The bundle sits two levels below the project root, as dist/<area>/
 * files do, because src/config/load.ts and src/store/sql-files.ts find their data relative to
 * __dirname; under var/ it is out of git and resolves packages through the project's node_modules.
 * (Not under node_modules/: a worktree whose node_modules is shared would read another checkout's
 * configuration defaults and schemas.) The source
 * map next to it lets a CPU profile of the bundle name source files and lines. Files are written
 * under a temporary name and renamed, so a run starting a child never reads a half-written bundle
 * while another run (the smoke test) rebuilds it.
 */
import { buildSync } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../src/util/paths';

let built: string | undefined;

export function childBundle(): string {
  if (built) return built;
  const outfile = join(projectRoot(), 'var', 'bench-build', 'child.js');
  const { outputFiles } = buildSync({
    entryPoints: [join(projectRoot(), 'bench', 'child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'external',
    logLevel: 'warning',
    write: false,
  });
  mkdirSync(dirname(outfile), { recursive: true });
  for (const f of outputFiles) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
  built = outfile;
  return outfile;
}
