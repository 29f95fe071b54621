/**
 * Map stage: builds the expression context (inbound fields, catalogue entry, partner
 * defaults, ledger record) and runs the compiled mapping: vars, branch choice, fields.
 */
import { CbError } from '../../errors';
import { MappingError, type MapContext } from '../../mapping/compile';
import type { Exchange } from '../context';
import { stockOf, stockView } from '../../ledger/ownership';

export function mapContext(x: Exchange, ledger?: Record<string, unknown>): MapContext {
  const fields = x.msg!.fields;
  const stockId = typeof fields.stock_id === 'string' ? fields.stock_id : undefined;
  // Only a stock the caller is allowed on feeds a mapping (ledger/ownership.ts).
  const stock = stockOf(x.rt.table.stocks, stockId, x.partner!.id);
  return {
    in: fields,
    stock: stock ? stockView(stockId!, stock) : undefined,
    partner: { id: x.partner!.id, defaults: x.partner!.defaults },
    ledger,
    ctx: { now: x.now },
  };
}

/** Runs fn and turns a MappingError into CB_MAPPING_FAILED naming the field. */
export function mapping<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MappingError) throw new CbError('CB_MAPPING_FAILED', e.message);
    throw e;
  }
}

export function selectBranch(x: Exchange): void {
  const m = x.route.mapping;
  x.map ??= mapContext(x);
  const c = x.map;
  mapping(() => {
    m.vars(c);
    x.branch = m.selectBranch(c);
  });
  (x.selected ??= []).push(x.branch!.name);
}

export function buildFields(x: Exchange): Record<string, unknown> {
  return mapping(() => x.branch!.build(x.map!));
}
