/**
 * The contract tests' configuration: one test partner per inbound dialect and couponbridge's
 * credentials at every upstream, with fixed secrets. These values are PUBLIC TEST VALUES, written
 * here so that case files can pin every signature: they sign nothing outside `couponbridge test`
 * (the harness builds its own configuration from them; `serve` never reads this file). A case
 * directory may name other partners (DIR/tests/config.yaml): each gets test credentials derived
 * from its id the same way.
 */
import type { DialectName } from '../dialects';

/** The fake upstreams' base URLs: `.test` is reserved (RFC 2606), nothing can answer there. */
export const contractUpstreams = {
  pyun: {
    base_url: 'http://pyun.contract.test',
    app_id: 'contract-test-pyun-app',
    app_secret: 'contract-test-secret-pyun-upstream',
  },
  tencent: {
    base_url: 'http://tencent.contract.test',
    api_key: 'CONTRACTTESTTENCENTKEY',
    secret: 'contract-test-secret-tencent-upstream',
  },
  dianping: {
    base_url: 'http://dianping.contract.test',
    app_key: 'contract-test-dianping-app',
    secret: 'contract-test-secret-dianping-upstream',
  },
} as const;

/** A partner of the contract tests (credentials are derived from the id: testPartnerCredentials). */
export interface TestPartner {
  id: string;
  dialect: DialectName;
  /** partner.defaults.* of the mappings (e.g. park_uuid). */
  defaults?: Record<string, unknown>;
}

/** The default test partner of each inbound dialect (a case names another with `partner:`). */
export const defaultTestPartners: readonly TestPartner[] = [
  { id: 'tencent-sp', dialect: 'tencent' },
  { id: 'dianping-pos', dialect: 'dianping' },
  { id: 'pyun-legacy', dialect: 'pyun' },
];

/** The partner's key id and secret: fixed, derived from its id, obviously test-only. */
export function testPartnerCredentials(id: string): { keyId: string; secret: string } {
  return { keyId: `contract-${id}`, secret: `contract-test-secret-${id}` };
}

/** Where the outbox delivers a test partner's notifications (its notify.base_url). */
export function testPartnerNotifyUrl(id: string): string {
  return `http://${id}.contract.test`;
}
