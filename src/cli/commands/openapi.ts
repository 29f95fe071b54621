/**
 * `couponbridge openapi [--config F]`: prints the OpenAPI 3.1 document of couponbridge's inbound
 * API (src/openapi/document.ts) for the mappings the configuration names — the same document the
 * server answers at GET /openapi.json. Without a configuration file, the shipped mappings.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { loadSchemaRegistry } from '../../schema/registry';
import { loadCheckedTable } from '../../server/reload';
import { openapiDocument } from '../../openapi/document';
import { projectRoot } from '../../util/paths';
import { processIo, runCommand, UsageError, type CliIo } from './sign';

const DEFAULT_CONFIG = 'couponbridge.yaml';

/** The mappings directory: the configuration's, else (no --config and no ./couponbridge.yaml) the shipped one. */
export function mappingsDir(configFile: string | undefined): string {
  if (configFile === undefined && !existsSync(DEFAULT_CONFIG)) return join(projectRoot(), 'mappings');
  try {
    return loadConfig(configFile ?? DEFAULT_CONFIG).mappings;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function openapiFor(mappings: string): Record<string, unknown> {
  const registry = loadSchemaRegistry();
  const table = loadCheckedTable(mappings, { registry });
  const version = (require('../../../package.json') as { version: string }).version;
  return openapiDocument({ registry, routes: table.byId.values(), version });
}

export function register(program: Command, io: CliIo = processIo): void {
  program
    .command('openapi')
    .description("print the OpenAPI 3.1 document of couponbridge's inbound API (routes from the mappings)")
    .option(
      '-c, --config <file>',
      `configuration file naming the mappings (default ${DEFAULT_CONFIG}, else the shipped mappings)`,
    )
    .action((opts: { config?: string }) =>
      runCommand(io, async () => {
        io.out(`${JSON.stringify(openapiFor(mappingsDir(opts.config)), null, 2)}\n`);
      }),
    );
}
