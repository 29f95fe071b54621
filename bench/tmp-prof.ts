import { translate, claim } from './lib/scenarios';
import { SignedBodies } from './lib/bodies';
import { pinLoadGenerator } from './lib/pinning';
import { childBundle } from './lib/build';
import { formatProfile, summarizeProfile } from './lib/profile';
(async () => {
  const pin = pinLoadGenerator();
  const which = process.argv[2] ?? 't1';
  const file = `/tmp/${which}.cpuprofile`;
  const o = { pin, warmupS: 2, durationS: 8, pacedS: 2, connections: 32, expectRps: 2000, profileTo: process.argv[3] === 'noprof' ? undefined : file };
  console.log(which, which === 't1' ? (await translate(o, new SignedBodies('t1'))).max : await claim(o, new SignedBodies('t2')));
  if (!o.profileTo) return;
  console.log(formatProfile(summarizeProfile(file, { bundle: childBundle(), top: 45 })));
})();
