import { randomUUID } from 'node:crypto';
import { startStack } from './test/support/stack';
(async () => {
  const stack = await startStack({ store: 'sqlite:/tmp/prof-claim.db' });
  const send = () => stack.tencent('/tencent/sp/coupon/receive', { app_channel_id: 0, user_code: `u${randomUUID().slice(0, 8)}`, stock_id: 'cb-demo-001', request_id: randomUUID().replace(/-/g, ''), extra: '{"plate":"粤B660PP"}' });
  for (let i = 0; i < 200; i++) await send();
  const t0 = process.cpuUsage();
  const N = 3000;
  let done = 0;
  await Promise.all(Array.from({ length: 16 }, async () => { while (done < N) { done++; const r = await send(); if (r.json.code !== 0) throw new Error(r.body); } }));
  const u = process.cpuUsage(t0);
  console.log('µs/claim (whole process incl. sandbox+client)', ((u.user + u.system) / N).toFixed(0));
  await stack.close();
})();
