/**
 * Flow registry: the mapping's `flow` names the function that runs the exchange. `translate`
 * is the generic pipeline; ledger-backed flows wrap the same stages with business rules.
 * It lives above the pipeline (server → flows → pipeline): the checker knows the flow names from
 * mapping/types.ts and never imports this file.
 */
import type { Answer } from '../dialects/types';
import type { Flow } from '../mapping/types';
import type { Exchange } from '../pipeline/context';
import { translate } from '../pipeline/translate';
import { claim } from './claim';
import { paymentPush } from './payment-push';
import { stockQuery } from './tencent-stock-query';
import { deactivate } from './tencent-deactivate';
import { stockSync } from './tencent-stock-sync';
import { dianpingConsume } from './dianping-consume';
import { dianpingCore } from './dianping-core';
import { dianpingExtend } from './dianping-extend';
import { dianpingOrder } from './dianping-order';

export type FlowFn = (x: Exchange) => Promise<Answer>;

// Every name of flowNames, so a mapping the checker accepts always has its flow.
const flows: Record<Flow, FlowFn> = {
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

export function hasFlow(name: string): name is Flow {
  return Object.prototype.hasOwnProperty.call(flows, name);
}

export function runFlow(x: Exchange): Promise<Answer> {
  const fn = flows[x.route.doc.flow] as FlowFn | undefined;
  if (!fn) throw new Error(`flow ${x.route.doc.flow} is not available`);
  return fn(x);
}
