/**
 * `couponbridge ledger show <coupon>`: one coupon (by Tencent coupon_id, P云 grant_serial,
 * Dianping couponCode or ledger id) with its whole history. `couponbridge ledger export
 * --format csv`: every coupon, refunded ones included (P云 has no un-redeem call, so refunds
 * are settled from this export).
 */
import type { Command } from 'commander';
import type { CouponRecord, Store, Transition } from '../../store/types';
import { addStoreOptions, print, withStore, type StoreOptions } from '../store-option';
import { progress, type Progress } from '../progress';
import { csvField } from '../../util/csv';

/** A coupon by any of its identities: Tencent coupon_id, P云 grant_serial, Dianping couponCode, ledger id. */
export async function findCoupon(store: Store, ref: string): Promise<CouponRecord | undefined> {
  return (
    (await store.getCoupon({ couponId: ref })) ??
    (await store.getCoupon({ grantSerial: ref })) ??
    (await store.getCoupon({ couponCode: ref })) ??
    (await store.getCoupon({ id: ref }))
  );
}

const columns: Array<[string, (c: CouponRecord) => unknown]> = [
  ['id', (c) => c.id],
  ['state', (c) => c.state],
  ['partner', (c) => c.partner],
  ['stock_id', (c) => c.stockId],
  ['coupon_id', (c) => c.couponId],
  ['grant_serial', (c) => c.grantSerial],
  ['coupon_code', (c) => c.couponCode],
  ['user_code', (c) => c.userCode],
  ['park_uuid', (c) => c.parkUuid],
  ['face_value_fen', (c) => c.faceValue],
  ['valid_from', (c) => c.validFrom],
  ['valid_until', (c) => c.validUntil],
  ['created_at', (c) => c.createdAt.toISOString()],
  ['updated_at', (c) => c.updatedAt.toISOString()],
];

/** `ledger show`'s text: every identity and field, then the history, oldest first. */
export function couponLines(c: CouponRecord, history: Transition[]): string[] {
  const lines: string[] = [];
  for (const [name, get] of columns) {
    const v = get(c);
    if (v !== undefined) lines.push(`${name.padEnd(15)} ${String(v)}`);
  }
  if (c.attrs && Object.keys(c.attrs).length > 0)
    lines.push(`${'attrs'.padEnd(15)} ${JSON.stringify(c.attrs)}`);
  lines.push('history:');
  for (const t of history) {
    lines.push(
      `  ${t.at.toISOString()}  ${t.from ?? '∅'} → ${t.to ?? 'released'}  by ${t.actor}${t.exchangeId ? `  exchange ${t.exchangeId}` : ''}${t.reason ? `  (${t.reason})` : ''}`,
    );
  }
  return lines;
}

export async function exportCsv(
  store: Store,
  write: (line: string) => void,
  filter: { state?: string; stockId?: string } = {},
  bar?: Progress,
): Promise<number> {
  write(columns.map(([name]) => name).join(','));
  let n = 0;
  for (let offset = 0; ; offset += 1000) {
    const page = await store.listCoupons({
      ...filter,
      state: filter.state as CouponRecord['state'] | undefined,
      limit: 1000,
      offset,
    });
    for (const c of page) write(columns.map(([, get]) => csvField(get(c))).join(','));
    n += page.length;
    bar?.tick(page.length);
    if (page.length < 1000) return n;
  }
}

export function register(program: Command): void {
  const ledger = program.command('ledger').description('inspect and export the coupon ledger');
  addStoreOptions(
    ledger
      .command('show <coupon>')
      .description('one coupon (coupon_id, grant_serial, couponCode or ledger id) and its history'),
  ).action(async (ref: string, opts: StoreOptions) => {
    await withStore(opts, async (store) => {
      const c = await findCoupon(store, ref);
      if (!c) {
        process.stderr.write(`no coupon ${ref} in the ledger\n`);
        process.exitCode = 1;
        return;
      }
      for (const line of couponLines(c, await store.history(c.id))) print(line);
    });
  });
  addStoreOptions(
    ledger
      .command('export')
      .description('export every coupon')
      .option('-f, --format <format>', 'output format (csv)', 'csv')
      .option('--state <state>', 'only coupons in this state (e.g. refunded)')
      .option('--stock <id>', 'only coupons of this stock'),
  ).action(async (opts: StoreOptions & { format: string; state?: string; stock?: string }) => {
    if (opts.format !== 'csv') throw new Error(`unsupported format ${opts.format} (csv)`);
    const bar = progress('export', { total: 'unknown' });
    bar.start(0);
    const n = await withStore(opts, (store) =>
      exportCsv(store, print, { state: opts.state, stockId: opts.stock }, bar),
    ).finally(() => bar.stop());
    // The summary goes to stderr: stdout is the CSV.
    process.stderr.write(`exported ${n} coupons\n`);
  });
}
