/**
 * PostgreSQL for the tests: a throwaway schema per test on COUPONBRIDGE_TEST_PG_URL
 * (default postgres://postgres@127.0.0.1:5432/test). With CI=true an unreachable server fails the
 * run; locally the tests are skipped, loudly.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const baseUrl = process.env.COUPONBRIDGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function pgSchemaUrl(prefix: string): { url: string; schema: string } {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const u = new URL(baseUrl);
  u.searchParams.set('schema', schema);
  return { url: u.toString(), schema };
}

export async function withPg<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: baseUrl, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function dropPgSchema(schema: string): Promise<void> {
  await withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

/** `skip` is the reason to skip (locally, server down); in CI a down server throws instead. */
export async function pgAvailability(): Promise<{ skip?: string }> {
  try {
    await withPg((c) => c.query('SELECT 1'));
    return {};
  } catch (e) {
    const why = `PostgreSQL unreachable at ${new URL(baseUrl).host}: ${(e as Error).message}`;
    if (process.env.CI === 'true') throw new Error(why);
    console.error(`\n*** ${why}: SKIPPING ***\n`);
    return { skip: why };
  }
}

/** The outbox reads runInstanceLoss needs, on one schema (test/crash/harness.ts). */
export function outboxProbe(schema: string): {
  leasedBy(workerId: string): Promise<{ id: string; dedupKey: string; leaseUntil: Date }[]>;
  outboxRow(id: string): Promise<{ state: string; leasedBy?: string; deliveredAt?: Date }>;
} {
  return {
    leasedBy: (workerId) =>
      withPg(async (c) =>
        (
          await c.query(
            `SELECT id::text AS id, dedup_key, lease_until FROM ${schema}.outbox
              WHERE state = 'leased' AND leased_by = $1`,
            [workerId],
          )
        ).rows.map((x) => ({
          id: String(x.id),
          dedupKey: String(x.dedup_key),
          leaseUntil: x.lease_until as Date,
        })),
      ),
    outboxRow: (id) =>
      withPg(async (c) => {
        const row = (
          await c.query(`SELECT state, leased_by, delivered_at FROM ${schema}.outbox WHERE id = $1`, [id])
        ).rows[0];
        return {
          state: row.state,
          leasedBy: row.leased_by ?? undefined,
          deliveredAt: row.delivered_at ?? undefined,
        };
      }),
  };
}
