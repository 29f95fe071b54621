import { couponUsed, startRig } from './test/outbox/rig';
async function main() {
  for (const [conc, dests, journal] of [[8, 2], [32, 2], [8, 8], [4, 1]] as const) {
    const r = await startRig({
      outbox: `{ retry_schedule_ms: [50], jitter: 0, concurrency_per_destination: ${conc}, poll_interval_ms: 20, lease_ms: 5000 }`,
      partners: (u) => Array.from({length: 6}, (_, i) => `  - { id: tx${i}, dialect: tencent, api_key: K${i}X, secret: s-${i}-secret-000, notify: { base_url: "${u.tencent}" } }\n`).join(''),
    });
    const names = ['tx-notify', 'tencent', 'tx0', 'tx1', 'tx2', 'tx3', 'tx4', 'tx5'].slice(0, dests);
    const n = 2000;
    await r.rt.store.enqueue(Array.from({ length: n }, (_, i) => couponUsed(names[i % dests])));
    let done = 0;
    const t0 = performance.now();
    await new Promise<void>((res) => r.worker({ onDelivery: () => { if (++done === n) res(); } }));
    const s = (performance.now() - t0) / 1000;
    console.log(`conc ${conc} dests ${dests}: ${(n / s).toFixed(0)}/s`);
    await r.close();
  }
}
void main();
