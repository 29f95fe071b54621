/**
 * Outbound stages: sign (target dialect adds its common parameters and signature with
 * couponbridge's own credentials) → validate the complete wire message → call the upstream.
 * Validation runs on the signed message so the schema checks exactly what is sent.
 */
import { CbError } from '../../errors';
import { formatDiagnostics } from '../../schema/registry';
import type { UpstreamAnswer } from '../../dialects/types';
import type { Exchange, UpstreamOutcome } from '../context';
import type { Upstream } from '../../runtime';

export function upstreamOf(x: Exchange): Upstream {
  const t = x.route.target!;
  const u = x.rt.upstreams.get(t.upstream);
  if (!u)
    throw new CbError(
      'CB_UPSTREAM_UNREACHABLE',
      `no upstream "${t.upstream}" configured (upstreams.${t.upstream}.base_url)`,
    );
  return u;
}

export function sign(x: Exchange, fields: Record<string, unknown>): void {
  const t = x.route.target!;
  const u = upstreamOf(x);
  const built = t.dialect.buildRequest(t.endpoint, fields, u.creds, x.now, x.rt.entropy);
  const base = u.baseUrl.endsWith('/') ? u.baseUrl.slice(0, -1) : u.baseUrl;
  x.outbound = { ...built, url: base + built.path };
}

export function validateOutbound(x: Exchange): void {
  const schema = x.branch?.schema;
  if (!schema) return;
  const diags = x.rt.registry.validate(schema, { ...x.outbound!.message }, { coerce: true });
  if (diags.length > 0) {
    throw new CbError(
      'CB_MAPPING_FAILED',
      `the translated ${schema} message is invalid: ${formatDiagnostics(diags)}`,
    );
  }
}

/** Sends the signed request; transport failures become outcomes, not exceptions, so the code table maps them. */
export async function call(x: Exchange): Promise<void> {
  const u = upstreamOf(x);
  let outcome: UpstreamOutcome;
  try {
    const answer = await u.client.send(x.outbound!);
    outcome = readAnswer(x, answer);
  } catch (e) {
    if (e instanceof CbError && (e.code === 'CB_UPSTREAM_TIMEOUT' || e.code === 'CB_UPSTREAM_UNREACHABLE')) {
      outcome = { kind: e.code === 'CB_UPSTREAM_TIMEOUT' ? 'timeout' : 'unreachable', detail: e.detail };
    } else throw e;
  }
  x.upstream = outcome;
}

function readAnswer(x: Exchange, answer: UpstreamAnswer): UpstreamOutcome {
  const t = x.route.target!;
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return answer.status >= 200 && answer.status < 300
      ? { kind: 'unreadable', answer, reason: 'answer is not JSON' }
      : { kind: 'http_error', answer };
  }
  const code = t.dialect.envelope.codeOf(body);
  if (code === undefined) {
    return answer.status >= 200 && answer.status < 300
      ? { kind: 'unreadable', answer, reason: `answer has no ${t.dialect.name} code` }
      : { kind: 'http_error', answer };
  }
  if (t.answerSchema && t.dialect.envelope.isSuccess(body)) {
    const diags = x.rt.registry.validate(t.answerSchema, body);
    if (diags.length > 0)
      return {
        kind: 'unreadable',
        answer,
        reason: `answer does not match ${t.answerSchema}: ${formatDiagnostics(diags)}`,
      };
  }
  return { kind: 'answer', answer, body, code };
}
