// `npm run crash-test -- --kills 20`: the crash test of issue 6 with many kills, printing the counts.
// `npm run crash-test -- --instances 3 [--run-s 20]`: issue 15's instance loss on PostgreSQL
// (COUPONBRIDGE_TEST_PG_URL, a throwaway schema): three instances, one killed, traffic for run-s.
import { runCrashTest, runInstanceLoss } from '../test/crash/harness';
import { dropPgSchema, outboxProbe, pgSchemaUrl } from '../test/support/pg';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};

async function instanceLoss(): Promise<void> {
  const { url, schema } = pgSchemaUrl('cbloss');
  try {
    const runMs = arg('run-s', 20) * 1000;
    const r = await runInstanceLoss({
      store: url,
      instances: arg('instances', 3),
      runBeforeKillMs: runMs / 2,
      runAfterKillMs: runMs / 2,
      leaseMs: arg('lease-ms', 2000),
      tencentDelayMs: arg('tencent-delay-ms', 300),
      ...outboxProbe(schema),
      log: (l) => console.error(l),
    });
    console.log(JSON.stringify(r, null, 2));
    const failed =
      r.missingNotifications.length +
      r.couponsWithSeveralKeys.length +
      r.eventsGrantedTwice.length +
      r.grantSerialsRedeemedTwice.length +
      r.notTakenOver.length +
      r.takenOverBeforeLease.length;
    console.log(failed === 0 ? 'instance loss: PASS' : 'instance loss: FAIL');
    process.exitCode = failed === 0 ? 0 : 1;
  } finally {
    await dropPgSchema(schema);
  }
}

void (async () => {
  if (process.argv.includes('--instances')) return instanceLoss();
  const report = await runCrashTest({
    kills: arg('kills', 20),
    killEveryMs: [arg('min-ms', 300), arg('max-ms', 1500)],
    log: (l) => console.error(l),
  });
  console.log(JSON.stringify(report, null, 2));
  const failed =
    report.missingNotifications.length +
    report.couponsWithSeveralKeys.length +
    report.grantSerialsRedeemedTwice.length +
    report.eventsGrantedTwice.length;
  console.log(failed === 0 ? 'crash test: PASS' : 'crash test: FAIL');
  process.exit(failed === 0 ? 0 : 1);
})();
