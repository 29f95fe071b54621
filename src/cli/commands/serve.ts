/**
 * `couponbridge serve`: runs the adapter with a deployment config until SIGTERM/SIGINT, under the
 * process policy (process-policy.ts: operational faults survived, a programming error drains and exits 70).
 * With `server.workers` above 1 this process becomes the cluster primary (cluster.ts) and each
 * worker runs this same command as a cluster worker.
 */
import cluster from 'node:cluster';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { createLogger } from '../../log';
import { clusterRateLimitPrimary } from '../../rate-limit';
import { runPrimary, workerCount, workerSlot } from '../../server/cluster';
import { prepareStore, startServer } from '../../server/start';
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
      const workers = workerCount(config.server.workers);
      if (workers > 1 && cluster.isPrimary) {
        for (const w of config.warnings) process.stderr.write(`warning: ${w}\n`);
        await prepareStore(config);
        if (!/^postgres/.test(config.store)) clusterRateLimitPrimary(config);
        const logger = createLogger({
          level: config.log.level,
          maskPlates: config.log.mask_plates,
          secrets: [],
        });
        try {
          await runPrimary({ workers, logger, graceMs: config.server.shutdown_grace_ms });
        } catch (e) {
          logger.error('couponbridge did not start', { error: (e as Error).message });
          process.exit(1);
        }
        return;
      }
      // each worker would repeat the primary's warnings
      if (cluster.isPrimary) for (const w of config.warnings) process.stderr.write(`warning: ${w}\n`);
      const running = await startServer(config, { workerSlot: workerSlot() });
      installProcessPolicy(running);
      if (cluster.isWorker) {
        // The SIGTERM of the primary often follows one sent to the whole process group (systemd,
        // Ctrl-C): the policy's handler runs once, and a second signal must not end the drain.
        process.on('SIGTERM', () => undefined);
        process.on('SIGINT', () => undefined);
      }
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
