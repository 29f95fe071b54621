// `npm run slow-upstream -- --seconds 60`: P云 answering slowly while Tencent keeps sending (issue 10),
// with the configuration's default cap; prints answers by code, the most calls in flight and the RSS.
import { runSlowUpstream } from '../test/support/slow-upstream';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};

void (async () => {
  const options = {
    seconds: arg('seconds', 60),
    ratePerSecond: arg('rate', 200),
    maxInFlight: arg('max-in-flight', 256),
    delayMs: arg('delay-ms', 3000),
    timeoutMs: arg('timeout-ms', 5000),
  };
  const r = await runSlowUpstream(options);
  console.log(JSON.stringify({ options, ...r }, null, 2));
  const bounded = r.maxInFlightSeen <= options.maxInFlight && r.slowestRefusalMs < options.delayMs;
  const onlyExpected = Object.keys(r.answers).every(
    (k) => k === 'HTTP 200 code 0' || k === 'HTTP 503 code 500000',
  );
  console.log(bounded && onlyExpected ? 'slow upstream: PASS' : 'slow upstream: FAIL');
  process.exit(bounded && onlyExpected ? 0 : 1);
})();
