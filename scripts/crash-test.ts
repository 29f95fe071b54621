// `npm run crash-test -- --kills 20`: the crash test of issue 6 with many kills, printing the counts.
import { runCrashTest } from '../test/crash/harness';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};

void (async () => {
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
