/**
 * Answer stages: map the upstream outcome back through the mapping's code table into the
 * caller's dialect, validate a success answer against the route's answer schema, and turn
 * any CbError into the caller's error envelope.
 */
import { CbError, callerMessage, errorCatalog, isUndisclosed, toCbError, type CbCode } from '../../errors';
import { formatDiagnostics } from '../../schema/registry';
import { MappingError, type CodeEntry } from '../../mapping/compile';
import type { Answer, Dialect, Entropy } from '../../dialects/types';
import type { Exchange, UpstreamOutcome } from '../context';

const transportCb: Record<string, CbCode> = {
  timeout: 'CB_UPSTREAM_TIMEOUT',
  unreachable: 'CB_UPSTREAM_UNREACHABLE',
  http_error: 'CB_UPSTREAM_BAD_ANSWER',
  unreadable: 'CB_UPSTREAM_BAD_ANSWER',
};

function templateVars(o: UpstreamOutcome, target: Dialect): Record<string, unknown> {
  const targetName = target.name;
  switch (o.kind) {
    case 'answer': {
      const b = o.body as Record<string, unknown>;
      // a dialect whose answers carry the message under another key reads it through its envelope
      const message = b.message ?? target.envelope.messageOf(b) ?? '';
      return {
        upstream: { ...b, code: o.code, message, hint: b.hint ?? '' },
        http: { status: o.answer.status },
        target: targetName,
      };
    }
    case 'http_error':
      return {
        upstream: { code: '', message: o.answer.body.slice(0, 200) },
        http: { status: o.answer.status },
        target: targetName,
      };
    case 'unreadable':
      return {
        upstream: { code: '', message: o.reason },
        http: { status: o.answer.status },
        target: targetName,
      };
    default:
      return { upstream: { code: '', message: o.detail }, http: { status: 0 }, target: targetName };
  }
}

/** Which code-table entry an outcome selects (special keys fall back to `default` only for answers). */
export function codeEntryFor(x: Exchange, o: UpstreamOutcome): CodeEntry | undefined {
  return x.route.mapping.codeFor(o.kind, o.kind === 'answer' ? o.code : undefined);
}

export function errorAnswer(d: Dialect, e: unknown, entropy?: Entropy): Answer {
  const err = toCbError(e);
  const hint = isUndisclosed(err) ? undefined : err.hint;
  return d.envelope.error(
    { code: d.codes[err.code], message: callerMessage(err), hint },
    err.status,
    entropy,
  );
}

export function mapBack(x: Exchange): void {
  const o = x.upstream!;
  const caller = x.route.dialect;
  const entry = codeEntryFor(x, o);
  const vars = templateVars(o, x.route.target!.dialect);
  if (entry?.success && o.kind === 'answer') {
    x.answer = successAnswer(x, o.body);
    x.outcome = 'success';
    x.retryable = false;
    return;
  }
  if (entry && entry.code !== undefined) {
    const transport = o.kind !== 'answer';
    x.answer = caller.envelope.error(
      {
        code: entry.code,
        message:
          entry.render(vars) ?? String(vars.upstream && (vars.upstream as { message: unknown }).message),
      },
      entry.status ?? (transport ? errorCatalog[transportCb[o.kind]].status : 200),
      x.rt.entropy,
    );
    x.outcome = o.kind === 'answer' ? `upstream:${o.code}` : o.kind;
    x.retryable = entry.retry ?? transport;
    return;
  }
  const up = vars.upstream as { code: string; message: string };
  const err =
    o.kind === 'answer'
      ? new CbError(
          'CB_UPSTREAM_REJECTED',
          `${x.route.target!.dialect.name} answered ${up.code}: ${up.message}`,
        )
      : new CbError(transportCb[o.kind], up.message);
  x.answer = errorAnswer(caller, err, x.rt.entropy);
  x.outcome = err.code;
  x.retryable = err.retryable;
}

export function successAnswer(x: Exchange, upstreamBody?: unknown): Answer {
  let data: Record<string, unknown>;
  try {
    data = x.route.mapping.answerData({ ...x.map!, upstream: upstreamBody });
  } catch (e) {
    if (e instanceof MappingError)
      throw new CbError('CB_UPSTREAM_BAD_ANSWER', `success answer lacks ${e.message}`);
    throw e;
  }
  const answer = x.route.dialect.envelope.success(
    Object.keys(data).length > 0 ? data : undefined,
    x.route.doc.answer?.message,
    x.rt.entropy,
  );
  const diags = x.rt.registry.validate(
    x.route.doc.inbound.answer_schema,
    answer.json ?? JSON.parse(answer.body),
  );
  if (diags.length > 0) {
    throw new CbError(
      'CB_MAPPING_FAILED',
      `the answer does not match ${x.route.doc.inbound.answer_schema}: ${formatDiagnostics(diags)}`,
    );
  }
  return answer;
}
