import { direct, proxied, translate } from '/work/main/bench/lib/scenarios';
import { SignedBodies } from '/work/main/bench/lib/bodies';
import { pinLoadGenerator } from '/work/main/bench/lib/pinning';
(async () => {
  const pin = pinLoadGenerator();
  const o = { pin, warmupS: 1, durationS: 2, pacedS: 2, connections: 32, expectRps: 3000 };
  console.log(pin);
  console.log('direct', await direct(o));
  console.log('bare', await proxied('bare-proxy', o));
  console.log('express', await proxied('express-proxy', o));
  console.log('t1', await translate(o, new SignedBodies('t1'), true));
})();
