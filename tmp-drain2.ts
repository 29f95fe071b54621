import { couponUsed, startRig } from './test/outbox/rig';
async function round(n: number, conc: number): Promise<number> {
  const r = await startRig({ outbox: `{ retry_schedule_ms: [50], jitter: 0, concurrency_per_destination: ${conc}, poll_interval_ms: 20, lease_ms: 5000 }` });
  await r.rt.store.enqueue(Array.from({ length: n }, (_, i) => couponUsed(i % 2 ? 'tx-notify' : 'tencent')));
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((res) => r.worker({ onDelivery: () => { if (++done === n) res(); } }));
  const rate = n / ((performance.now() - t0) / 1000);
  await r.close();
  return Math.round(rate);
}
async function main() {
  const n = Number(process.env.N ?? 1000), conc = Number(process.env.C ?? 4);
  await round(300, conc);
  const rates = [];
  for (let i = 0; i < 3; i++) rates.push(await round(n, conc));
  console.log(rates.join(' '));
}
void main();
