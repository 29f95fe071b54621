// `npm run slow-upstream -- --seconds 60`: P云 answering slowly while Tencent keeps sending (issue 10),
// with the configuration's default cap (128); prints answers by code, the most
// calls in flight and the RSS. The rate is modest because generator, sandbox and couponbridge share
// one process (and this machine): raise --rate on a quiet host.
import { runSlowUpstream } from '../test/support/slow-upstream';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};

void (async () => {
  const options = {
    seconds: arg('seconds', 60),
    ratePerSecond: arg('rate', 50),
    maxInFlight: arg('max-in-flight', 128),
    delayMs: arg('delay-ms', 3000),
    timeoutMs: arg('timeout-ms', 5000),
  };
  const r = await runSlowUpstream(options);
  console.log(JSON.stringify({ options, ...r }, null, 2));
  const bounded = r.maxInFlightSeen <= options.maxInFlight && r.slowestRefusalMs < options.delayMs;
  const expected = ['HTTP 200 code 0', 'HTTP 503 code 500000'];
  const onlyExpected = Object.keys(r.answers).every((k) => expected.includes(k));
  console.log(bounded && onlyExpected ? 'slow upstream: PASS' : 'slow upstream: FAIL');
  process.exit(bounded && onlyExpected ? 0 : 1);
})();
