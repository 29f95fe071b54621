/**
 * The random values the dialects write into messages and answers (Tencent seq_id and nonce, P云's
 * answer seqno), drawn from node:crypto unless the runtime injects another source (the contract
 * tests inject a counter so expectations stay literal: src/contract/harness.ts).
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Entropy } from '../types';

export const systemEntropy: Entropy = {
  uuid: () => randomUUID(),
  digits(n) {
    let out = '';
    // 8 digits per draw: randomInt's bound must stay below 2^48
    while (out.length < n) out += String(randomInt(0, 100_000_000)).padStart(8, '0');
    return out.slice(0, n);
  },
  hex: (bytes) => randomBytes(bytes).toString('hex'),
};
