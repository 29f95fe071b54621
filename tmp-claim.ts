import { openStore } from './src/store/open';
import { couponUsed } from './test/outbox/rig';
async function main() {
  for (const n of [100, 1000, 3000, 10000]) {
    const s = await openStore('sqlite::memory:');
    await s.enqueue(Array.from({ length: n }, (_, i) => couponUsed(`d${i % 2}`)));
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await s.claimDue({ now: new Date(), limit: 1, leaseMs: 60000, workerId: 'w', perDestinationLimit: 100 });
    console.log(n, ((performance.now() - t0) / 20).toFixed(2), 'ms per claim');
    await s.close();
  }
}
void main();
