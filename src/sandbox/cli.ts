/**
 * Runs the sandbox as its own process (the benchmark's fake upstream, black-box tests) and prints
 * its URLs as one JSON line on stdout: {"pyunUrl":…,"tencentUrl":…,"dianpingUrl":…}.
 * Secrets are read from the environment variables named on the command line, never from argv:
 *   node --import tsx src/sandbox/cli.ts --pyun-app-id op1 --pyun-secret-env PYUN_APP_SECRET \
 *     [--tencent-api-key K --tencent-secret-env VAR] [--dianping-app-key K --dianping-secret-env VAR]
 *     [--dianping-scheme dianping-sha1|dianping-router-md5] [--host H] [--pyun-port N] [--no-verify]
 * Stops on SIGINT/SIGTERM.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { findDescriptor } from '../dialects';
import { startSandbox, type Sandbox, type SandboxOptions } from './index';

interface CliOptions {
  pyunAppId: string;
  pyunSecretEnv: string;
  tencentApiKey?: string;
  tencentSecretEnv?: string;
  dianpingAppKey?: string;
  dianpingSecretEnv?: string;
  dianpingScheme?: string;
  host: string;
  pyunPort?: number;
  tencentPort?: number;
  dianpingPort?: number;
  verify: boolean;
}

export async function main(
  argv: string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Sandbox> {
  const port = (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
    return n;
  };
  const program = new Command('couponbridge-sandbox')
    .requiredOption('--pyun-app-id <id>', 'P云 app_id couponbridge calls with')
    .requiredOption('--pyun-secret-env <var>', 'environment variable holding that app_secret')
    .option('--tencent-api-key <key>', 'Tencent api_key of the SP callbacks')
    .option('--tencent-secret-env <var>', 'environment variable holding the Tencent secret')
    .option('--dianping-app-key <key>', 'Dianping appkey')
    .option('--dianping-secret-env <var>', 'environment variable holding the Dianping secret')
    .addOption(
      new Option('--dianping-scheme <scheme>', 'Dianping scheme').choices(
        findDescriptor('dianping')?.schemes.map((s) => s.name) ?? [],
      ),
    )
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--pyun-port <n>', 'P云 port (default: any free one)', port)
    .option('--tencent-port <n>', 'Tencent port', port)
    .option('--dianping-port <n>', 'Dianping port', port)
    .option('--no-verify', 'accept any key id and signature')
    .parse(argv);
  const o = program.opts<CliOptions>();
  const secret = (name: string | undefined, flag: string): string => {
    const value = name === undefined ? undefined : env[name];
    if (value === undefined || value === '')
      program.error(`${flag}: environment variable ${name} is not set`);
    return value as string;
  };
  const opts: SandboxOptions = {
    pyun: { app_id: o.pyunAppId, app_secret: secret(o.pyunSecretEnv, '--pyun-secret-env') },
    host: o.host,
    ports: { pyun: o.pyunPort, tencent: o.tencentPort, dianping: o.dianpingPort },
    verifySignatures: o.verify,
  };
  if (o.tencentApiKey !== undefined) {
    opts.tencent = { api_key: o.tencentApiKey, secret: secret(o.tencentSecretEnv, '--tencent-secret-env') };
  }
  if (o.dianpingAppKey !== undefined) {
    opts.dianping = {
      app_key: o.dianpingAppKey,
      secret: secret(o.dianpingSecretEnv, '--dianping-secret-env'),
      scheme: o.dianpingScheme,
    };
  }
  const sandbox = await startSandbox(opts);
  const { pyunUrl, tencentUrl, dianpingUrl } = sandbox;
  process.stdout.write(JSON.stringify({ pyunUrl, tencentUrl, dianpingUrl }) + '\n');
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return sandbox;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`sandbox: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
