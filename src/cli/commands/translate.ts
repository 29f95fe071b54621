/**
 * `couponbridge translate --route ID < message`: a dry run of one route. Prints every stage —
 * parsed, identified, verified, validated, branch and mapped fields, the signed request (method,
 * URL, headers, body) — and how each possible upstream answer would be mapped back. Nothing is
 * called. A failed verification is reported and the run goes on, so a hand-written message
 * still shows its translation (`--sign` signs it with the partner's credentials first).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { createLogger } from '../../log';
import { loadSchemaRegistry } from '../../schema/registry';
import { closeRuntime, createRuntime, partnerKey, type Runtime } from '../../runtime';
import { loadCheckedTable } from '../../server/reload';
import { newExchange, type Exchange, type UpstreamOutcome } from '../../pipeline/context';
import { identify, parse, validateInbound } from '../../pipeline/stages/inbound';
import { buildFields, selectBranch } from '../../pipeline/stages/map';
import { sign, validateOutbound } from '../../pipeline/stages/outbound';
import { errorAnswer, mapBack, successAnswer } from '../../pipeline/stages/answer';
import { toCbError } from '../../errors';
import { transportFields } from '../../flows/shared';
import { openStore } from '../../store/open';
import type { RawRequest } from '../../dialects/types';
import { terminalSafe } from '../terminal';

type Print = (title: string, body: unknown) => void;

function readStdin(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.on('error', reject);
  });
}

/** Re-signs a raw inbound message with its partner's credentials (for hand-written messages). */
function signInbound(rt: Runtime, x: Exchange): RawRequest {
  const d = x.route.dialect;
  const keyId = d.identify(x.msg!, x.raw);
  const partner = keyId
    ? rt.partners.get(partnerKey(d.name, keyId))
    : [...rt.partners.values()].find((p) => p.dialect === d);
  if (!partner) throw new Error(`--sign: no ${d.name} partner configured`);
  // Drop what the partner's own signing adds again (key id, timestamp, nonce, signature…).
  const transport = new Set(transportFields(d));
  const business = Object.fromEntries(Object.entries(x.msg!.fields).filter(([k]) => !transport.has(k)));
  const encoding = x.msg!.encoding;
  const built = d.buildRequest(
    { method: encoding === 'query' ? 'GET' : 'POST', path: x.raw.path, encoding },
    business,
    partner.creds,
  );
  const [, query = ''] = built.path.split('?');
  return {
    ...x.raw,
    query,
    headers: { ...x.raw.headers, ...built.headers },
    body: Buffer.from(built.body ?? ''),
  };
}

function possibleOutcomes(x: Exchange): Array<[string, UpstreamOutcome]> {
  const codes = Object.keys(x.route.doc.answer?.codes ?? {});
  const answer = (status: number, body: string) => ({ status, headers: {}, body, elapsedMs: 0 });
  return codes.map((key): [string, UpstreamOutcome] => {
    switch (key) {
      case 'timeout':
      case 'unreachable':
        return [key, { kind: key, detail: `${x.outbound?.url} (simulated)` }];
      case 'http_error':
        return [key, { kind: 'http_error', answer: answer(502, 'Bad Gateway') }];
      case 'unreadable':
        return [key, { kind: 'unreadable', answer: answer(200, '<html>'), reason: 'answer is not JSON' }];
      default: {
        const code = key === 'default' ? '9999' : key;
        const body = { code, message: '<upstream message>', hint: '<upstream hint>' };
        return [key, { kind: 'answer', answer: answer(200, JSON.stringify(body)), body, code }];
      }
    }
  });
}

export async function dryRun(
  rt: Runtime,
  routeId: string,
  body: Buffer,
  opts: { sign?: boolean; query?: string },
  print: Print,
): Promise<number> {
  const route = rt.table.byId.get(routeId);
  if (!route) throw new Error(`unknown route "${routeId}" (routes: ${[...rt.table.byId.keys()].join(', ')})`);
  const method = route.methods.includes('POST') ? 'POST' : 'GET';
  const contentType =
    route.dialect.name === 'tencent'
      ? 'application/json'
      : 'application/x-www-form-urlencoded; charset=UTF-8';
  let raw: RawRequest = {
    method,
    path: route.doc.inbound.path,
    query: opts.query ?? '',
    headers: { 'content-type': contentType },
    body,
  };
  let x = newExchange(rt, route, raw);
  try {
    parse(x);
    if (opts.sign) {
      raw = signInbound(rt, x);
      x = newExchange(rt, route, raw);
      parse(x);
    }
    print('parsed', x.msg!.fields);
    identify(x);
    print('identified', { partner: x.partner!.id });
    const v = route.dialect.verify(x.msg!, raw, x.partner!.creds);
    print('verified', v.ok ? 'ok' : { ok: false, reason: v.reason, stringToSign: v.maskedStringToSign });
    validateInbound(x);
    print('validated', `ok (${route.doc.inbound.schema})`);
    selectBranch(x);
    print('branch', { name: x.branch!.name, action: x.branch!.action });
    if (x.branch!.action === 'record') {
      print('answer (no upstream call)', JSON.parse(successAnswer(x).body));
      return v.ok ? 0 : 1;
    }
    const fields = buildFields(x);
    print('mapped', fields);
    sign(x, fields);
    validateOutbound(x);
    const o = x.outbound!;
    print('signed request', {
      method: o.method,
      url: o.url,
      headers: o.headers,
      body: o.body,
      stringToSign: o.signature.maskedStringToSign,
    });
    const answers: Record<string, unknown> = {};
    for (const [key, outcome] of possibleOutcomes(x)) {
      const y: Exchange = { ...x, upstream: outcome, answer: undefined };
      try {
        mapBack(y);
      } catch (e) {
        y.answer = errorAnswer(route.dialect, e);
      }
      answers[key] = { status: y.answer!.status, body: JSON.parse(y.answer!.body) };
    }
    print('answers by upstream outcome', answers);
    return v.ok ? 0 : 1;
  } catch (e) {
    const err = toCbError(e);
    print(`stopped: ${err.code}`, {
      detail: err.detail,
      hint: err.hint,
      answer: JSON.parse(errorAnswer(route.dialect, err).body),
    });
    return 1;
  }
}

export function register(program: Command): void {
  program
    .command('translate')
    .description('dry run: show how one message would be translated, signed and answered (calls nothing)')
    .requiredOption('-r, --route <id>', 'route id (see the mapping files)')
    .option('-c, --config <file>', 'configuration file', 'couponbridge.yaml')
    .option('--sign', 'sign the inbound message with its partner credentials first')
    .option('--query <qs>', 'query string, for GET routes')
    .action(async (opts: { route: string; config: string; sign?: boolean; query?: string }) => {
      const config = loadConfig(opts.config);
      const registry = loadSchemaRegistry();
      const logger = createLogger({ level: 'error' });
      // A dry run never touches the configured store: ledger reads see an empty in-memory one.
      const store = await openStore('sqlite::memory:');
      const rt = createRuntime(config, {
        registry,
        logger,
        store,
        table: loadCheckedTable(config.mappings, { registry }),
      });
      try {
        const body = await readStdin();
        process.exitCode = await dryRun(rt, opts.route, body, opts, (title, b) => {
          const text = typeof b === 'string' ? b : JSON.stringify(b, null, 2);
          process.stdout.write(terminalSafe(`== ${title}\n${text}\n`));
        });
      } finally {
        await closeRuntime(rt);
      }
    });
}
