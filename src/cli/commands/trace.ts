/**
 * `couponbridge trace <exchange-id|business-key>`: the whole story of one exchange (or of every
 * exchange carrying a business key: request_id, coupon_id, grant_serial, orderId, pay_serial):
 * inbound message, outbound request, upstream answer, final answer, timing, outcome and notes —
 * all as journaled, i.e. with secrets removed and personal data masked.
 */
import type { Command } from 'commander';
import type { ExchangeRecord } from '../../store/types';
import { addStoreOptions, print, withStore, type StoreOptions } from '../store-option';

export function formatExchange(e: ExchangeRecord): string[] {
  const lines = [
    `exchange ${e.id}  ${e.at.toISOString()}  route ${e.route}  partner ${e.partner ?? '-'}  outcome ${e.outcome}  ${e.durationMs ?? '?'} ms`,
    `  keys: ${e.businessKeys.join(', ') || '-'}`,
  ];
  const d = (e.data ?? {}) as Record<string, unknown>;
  // the position in the partner's secrets list, never the value (rotation: 1 = the previous secret)
  if (typeof d.verifiedWithSecret === 'number') lines.push(`  verified with secret #${d.verifiedWithSecret}`);
  for (const part of ['inbound', 'outbound', 'upstream', 'answer', 'notes']) {
    if (d[part] !== undefined)
      lines.push(`  ${part}: ${JSON.stringify(d[part], null, 2).replace(/\n/g, '\n  ')}`);
  }
  return lines;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('trace <key>')
      .description('print the journaled story of an exchange id or of every exchange with a business key'),
  ).action(async (key: string, opts: StoreOptions) => {
    await withStore(opts, async (store) => {
      const one = await store.getExchange(key);
      const list = one ? [one] : await store.findExchanges(key);
      if (list.length === 0) {
        process.stderr.write(`no exchange ${key} in the journal\n`);
        process.exitCode = 1;
        return;
      }
      for (const e of list) for (const l of formatExchange(e)) print(l);
    });
  });
}
