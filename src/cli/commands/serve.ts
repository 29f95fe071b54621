/**
 * `couponbridge serve`: runs the adapter with a deployment config until SIGTERM/SIGINT, under the
 * process policy (process-policy.ts: operational faults survived, a programming error drains and exits 70).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { startServer } from '../../server/start';
import { installProcessPolicy } from '../../server/process-policy';
import { reloadCredentials } from '../../runtime';

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
      const running = await startServer(config);
      installProcessPolicy(running);
      // SIGHUP re-reads the file and swaps credentials (secret rotation without downtime)
      process.on('SIGHUP', () => {
        try {
          const next = loadConfig(opts.config, { overrides: { host: opts.host, port: opts.port } });
          reloadCredentials(running.rt, next);
          running.rt.logger.info('credentials reloaded', { partners: next.partners.length });
        } catch (e) {
          running.rt.logger.error('credential reload rejected; the previous credentials keep serving', {
            problems: (e as Error).message,
          });
        }
      });
    });
}
