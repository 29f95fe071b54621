/**
 * Flow registry: the mapping's `flow` names the function that runs the exchange. `translate`
 * is the generic pipeline; ledger-backed flows wrap the same stages with business rules.
 */
import type { Answer } from '../dialects/types';
import type { Flow } from '../mapping/types';
import type { Exchange } from './context';
import { translate } from './translate';
import { claim } from '../flows/claim';
import { paymentPush } from '../flows/payment-push';
import { stockQuery } from '../flows/tencent-stock-query';
import { deactivate } from '../flows/tencent-deactivate';
import { stockSync } from '../flows/tencent-stock-sync';
import { dianpingConsume } from '../flows/dianping-consume';
import { dianpingCore } from '../flows/dianping-core';
import { dianpingExtend } from '../flows/dianping-extend';
import { dianpingOrder } from '../flows/dianping-order';

export type FlowFn = (x: Exchange) => Promise<Answer>;

const flows: Partial<Record<Flow, FlowFn>> = {
  translate,
  claim,
  'payment-push': paymentPush,
  'stock-query': stockQuery,
  deactivate,
  'stock-sync': stockSync,
  'dianping-consume': dianpingConsume,
  'dianping-core': dianpingCore,
  'dianping-extend': dianpingExtend,
  'dianping-order': dianpingOrder,
};

export function hasFlow(name: Flow): boolean {
  return name in flows;
}

export function runFlow(x: Exchange): Promise<Answer> {
  const fn = flows[x.route.doc.flow];
  if (!fn) throw new Error(`flow ${x.route.doc.flow} is not available`);
  return fn(x);
}
