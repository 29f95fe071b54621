/**
 * The kerbside platform, simulated for the sandbox: POST /api/v2/vouchers checks the merchant and
 * its kerbside-sha256 signature, requires voucher_id, plate_no and value_fen, and issues a ticket
 * (a voucher_id issued twice → K409).
 */
import type { Answer, RawRequest } from '../../../src/dialects/types';
import type { Platform, RecordedRequest } from '../../../src/sandbox';
import { dialect, NAME } from './index';

export class KerbsidePlatform implements Platform {
  readonly target = NAME;
  private readonly issued = new Set<string>();

  constructor(private readonly merchant: { merchant_id: string; merchant_key: string }) {}

  handle(req: RawRequest, rec: RecordedRequest): Answer {
    const refuse = (code: string, msg: string) => dialect.envelope.error({ code, message: msg });
    if (req.path !== '/api/v2/vouchers') return refuse('K404', `no API ${req.path}`);
    const msg = dialect.parse(req);
    rec.fields = msg.fields;
    if (dialect.identify(msg, req) !== this.merchant.merchant_id) return refuse('K401', 'unknown merchant');
    const creds = {
      keyId: this.merchant.merchant_id,
      secret: this.merchant.merchant_key,
      scheme: dialect.defaultScheme,
    };
    const outcome = dialect.verify(msg, req, creds);
    if (!outcome.ok) return refuse('K401', `bad signature (${outcome.maskedStringToSign})`);
    const f = msg.fields;
    const missing = ['voucher_id', 'plate_no', 'value_fen'].find((k) => f[k] === undefined || f[k] === '');
    if (missing) return refuse('K400', `${missing} required`);
    if (!Number.isInteger(f.value_fen)) return refuse('K400', 'value_fen must be an integer');
    const id = String(f.voucher_id);
    if (this.issued.has(id)) return refuse('K409', `voucher ${id} already issued`);
    this.issued.add(id);
    return dialect.envelope.success({ ticket: `KT-${id}` });
  }

  codeAnswer(code: string, message: string | undefined): Answer {
    return dialect.envelope.error({ code, message: message ?? `sandbox injected ${code}` });
  }
}
