/**
 * `couponbridge serve`: runs the adapter with a deployment config until SIGTERM/SIGINT, under the
 * process policy (process-policy.ts: operational faults survived, a programming error drains and exits 70).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { startServer } from '../../server/start';
import { installProcessPolicy } from '../../server/process-policy';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run couponbridge with a deployment configuration')
    .option('-c, --config <file>', 'configuration file', 'couponbridge.yaml')
    .option('--host <host>', 'listen address (overrides server.host)')
    .option('--port <port>', 'listen port (overrides server.port)', (v) => Number(v))
    .action(async (opts: { config: string; host?: string; port?: number }) => {
      const config = loadConfig(opts.config, { overrides: { host: opts.host, port: opts.port } });
      for (const w of config.warnings) process.stderr.write(`warning: ${w}\n`);
      installProcessPolicy(await startServer(config));
    });
}
