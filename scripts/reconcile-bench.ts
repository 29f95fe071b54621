/**
 * Settlement at scale: fills a ledger with N coupons (default 1,000,000) spread over 2025 — claims,
 * redemptions (by the partner and by P云's push), expiries, invalidations, Dianping consumes and
 * refunds, with their transitions — then times one month's statement (totals and every
 * discrepancy query) and prints the query plans, which must start from the 0004 indexes.
 *
 *   node --import tsx scripts/reconcile-bench.ts [--coupons N] [--store sqlite:FILE | postgres://…?schema=S] [--month 2025-06] [--keep]
 *
 * The filler writes rows directly (the store's one-coupon-per-transaction primitives would take
 * hours for a million); the statement is read through the Store like the CLI does. Without
 * --store it uses a temporary SQLite file; a PostgreSQL schema is dropped at the end unless --keep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { openStore } from '../src/store/open';
import { parsePostgresUrl } from '../src/store/postgres';
import { loadStatements, toPositional } from '../src/store/sql-files';
import { buildStatement, monthOf, periodOf } from '../src/reconcile/statement';

const { values: opts } = parseArgs({
  options: {
    coupons: { type: 'string', default: '1000000' },
    store: { type: 'string' },
    month: { type: 'string', default: '2025-06' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(opts.coupons);
const YEAR_START = Date.parse('2025-01-01T00:00:00.000Z');
const YEAR_MS = 365 * 86_400_000;
const DAY = 86_400_000;

/** The same ledger on every run: a fixed linear congruential sequence. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Row {
  coupon: unknown[];
  transitions: unknown[][];
  order?: unknown[];
}

/** Coupon i: 70 % Tencent claims of 20 stocks by three SPs, 30 % Dianping codes of two POS. */
function couponRow(i: number, rand: () => number, iso: (ms: number) => unknown): Row {
  const t = YEAR_START + Math.floor((i / N) * YEAR_MS);
  const r = rand();
  if (i % 10 < 7) {
    const partner = `sp-${i % 3}`;
    const face = 500 + (i % 5) * 100;
    const tr: unknown[][] = [
      [`c${i}`, null, 'pending', iso(t), partner, `x${i}`],
      [`c${i}`, 'pending', 'available', iso(t + 800), partner, `x${i}`],
    ];
    let state = 'available';
    if (r < 0.6) {
      state = 'used';
      tr.push([`c${i}`, 'available', 'used', iso(t + 2 * DAY), r < 0.3 ? partner : 'pyun', `xu${i}`]);
    } else if (r < 0.7) {
      state = 'expired';
      tr.push([`c${i}`, 'available', 'expired', iso(t + 30 * DAY), partner, `xe${i}`]);
    } else if (r < 0.75) {
      state = 'invalid';
      tr.push([`c${i}`, 'available', 'invalid', iso(t + DAY), partner, `xi${i}`]);
    }
    return {
      coupon: [
        `c${i}`,
        `stock-${i % 20}`,
        partner,
        `C${i}`,
        `u${i % 50_000}`,
        `G${i}`,
        `req${i}`,
        null,
        face,
        null,
        state,
        iso(t),
      ],
      transitions: tr,
    };
  }
  const partner = `pos-${i % 2}`;
  const orderId = `O${i}`;
  const apply = 100 + (i % 7) * 50;
  const refunded = r < 0.1;
  const tr: unknown[][] = [[`c${i}`, null, 'used', iso(t), partner, `xd${i}`]];
  if (refunded) tr.push([`c${i}`, 'used', 'refunded', iso(t + 3 * DAY), partner, `xr${i}`]);
  return {
    coupon: [
      `c${i}`,
      'dianping',
      partner,
      null,
      null,
      `D${i}`,
      null,
      `D${i}`,
      null,
      JSON.stringify({ dianping: { orderId, applyValueFen: apply } }),
      refunded ? 'refunded' : 'used',
      iso(t),
    ],
    transitions: tr,
    order: [
      partner,
      orderId,
      refunded ? 'refunded' : 'consumed',
      JSON.stringify([`D${i}`]),
      '{"payAmount":0}',
      `xd${i}`,
      iso(t),
    ],
  };
}

const couponCols =
  'id, stock_id, partner, coupon_id, user_code, grant_serial, event_id, coupon_code, face_value, attrs, state, created_at';

function fillSqlite(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const coupon = db.prepare(
    `INSERT INTO coupons (${couponCols}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const transition = db.prepare(
    'INSERT INTO coupon_transitions (coupon_ref, from_state, to_state, at, actor, exchange_id) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const order = db.prepare(
    'INSERT INTO orders (partner, order_id, status, coupon_codes, details, exchange_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const rand = rng(17);
  const iso = (ms: number) => new Date(ms).toISOString();
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const r = couponRow(i, rand, iso);
      coupon.run(...r.coupon, r.coupon[11]);
      for (const t of r.transitions) transition.run(...t);
      if (r.order) order.run(...r.order, r.order[6]);
    }
  });
  for (let i = 0; i < N; i += 50_000) batch(i, Math.min(N, i + 50_000));
  db.close();
}

async function fillPostgres(url: string): Promise<void> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const c = new Client({ connectionString, options: schema ? `-c search_path=${schema}` : undefined });
  await c.connect();
  try {
    const rand = rng(17);
    const iso = (ms: number) => new Date(ms).toISOString();
    for (let i = 0; i < N; i += 20_000) {
      const rows: Row[] = [];
      for (let j = i; j < Math.min(N, i + 20_000); j++) rows.push(couponRow(j, rand, iso));
      // one statement per table per batch, the rows as JSON: fast and free of parameter limits
      await c.query(
        `INSERT INTO coupons (${couponCols}, updated_at)
         SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, (r->>8)::int, (r->>9)::json, r->>10,
           (r->>11)::timestamptz, (r->>11)::timestamptz
         FROM json_array_elements($1::json) r`,
        [JSON.stringify(rows.map((r) => r.coupon))],
      );
      await c.query(
        `INSERT INTO coupon_transitions (coupon_ref, from_state, to_state, at, actor, exchange_id)
         SELECT r->>0, r->>1, r->>2, (r->>3)::timestamptz, r->>4, r->>5 FROM json_array_elements($1::json) r`,
        [JSON.stringify(rows.flatMap((r) => r.transitions))],
      );
      await c.query(
        `INSERT INTO orders (partner, order_id, status, coupon_codes, details, exchange_id, created_at, updated_at)
         SELECT r->>0, r->>1, r->>2, (r->>3)::json, (r->>4)::json, r->>5, (r->>6)::timestamptz, (r->>6)::timestamptz
         FROM json_array_elements($1::json) r`,
        [JSON.stringify(rows.filter((r) => r.order).map((r) => r.order))],
      );
    }
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

const planned = [
  'settlement.groups',
  'settlement.undelivered_claims',
  'settlement.half_consumed',
  'settlement.overdue',
  'settlement.anomalies',
];

function plansSqlite(file: string, params: Record<string, unknown>): void {
  const db = new Database(file, { readonly: true });
  const sql = loadStatements('sqlite');
  for (const name of planned) {
    const needed = Object.fromEntries(
      [...sql[name].matchAll(/(?<![:\w]):([a-z_]+)/g)].map(([, n]) => [n, params[n] ?? null]),
    );
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql[name]}`).all(needed) as { detail: string }[];
    console.log(`\n${name}:\n${plan.map((p) => `  ${p.detail}`).join('\n')}`);
  }
  db.close();
}

async function plansPostgres(url: string, params: Record<string, unknown>): Promise<void> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const c = new Client({ connectionString, options: schema ? `-c search_path=${schema}` : undefined });
  await c.connect();
  try {
    const sql = loadStatements('postgres');
    for (const name of planned) {
      const { text, names } = toPositional(sql[name]);
      const r = await c.query(
        `EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) ${text}`,
        names.map((n) => params[n] ?? null),
      );
      console.log(`\n${name}:\n${r.rows.map((row) => `  ${String(row['QUERY PLAN'])}`).join('\n')}`);
    }
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const tmp = opts.store ? undefined : mkdtempSync(join(tmpdir(), 'cb-reconcile-bench-'));
  const url = opts.store ?? `sqlite:${join(tmp!, 'ledger.db')}`;
  const pg = /^postgres(ql)?:/.test(url);
  try {
    await (await openStore(url)).close(); // migrations
    let t = performance.now();
    if (pg) await fillPostgres(url);
    else fillSqlite(url.slice('sqlite:'.length));
    console.log(
      `filled ${N.toLocaleString('en')} coupons in ${((performance.now() - t) / 1000).toFixed(1)} s (${url})`,
    );

    const { from, to } = monthOf(new Date(`${opts.month}-15T00:00:00.000+08:00`));
    const store = await openStore(url);
    try {
      const reconcile = {
        from,
        to,
        now: new Date('2026-01-01T00:00:00.000Z'),
        graceMs: 15 * 60_000,
        idempotencyKeptSince: new Date('2025-12-25T00:00:00.000Z'),
        claimRoute: 'tencent.sp-coupon-receive',
      };
      for (const run of ['cold', 'warm']) {
        t = performance.now();
        const s = await buildStatement(store, reconcile);
        const ms = performance.now() - t;
        const sum = (k: 'claimed' | 'redeemed' | 'redeemed_value_fen') =>
          s.partners.reduce((a, p) => a + p[k], 0);
        console.log(
          `statement ${from}..${to} (${run}): ${ms.toFixed(0)} ms — ${s.partners.length} partners, ` +
            `${sum('claimed')} claimed, ${sum('redeemed')} redeemed, ${sum('redeemed_value_fen')} 分 redeemed, ` +
            `${s.discrepancies.length} discrepancies`,
        );
      }
    } finally {
      await store.close();
    }
    const p = periodOf(from, to);
    const params = {
      from: pg ? p.from : p.from.toISOString(),
      to: pg ? p.to : p.to.toISOString(),
      partner: null,
      route: 'tencent.sp-coupon-receive',
      stale_before: pg ? new Date('2026-01-01') : '2026-01-01T00:00:00.000Z',
      kept_since: pg ? new Date('2025-12-25') : '2025-12-25T00:00:00.000Z',
      before: pg ? new Date('2026-01-01') : '2026-01-01T00:00:00.000Z',
    };
    if (pg) await plansPostgres(url, params);
    else plansSqlite(url.slice('sqlite:'.length), params);
  } finally {
    if (tmp && !opts.keep) rmSync(tmp, { recursive: true, force: true });
    if (pg && !opts.keep) {
      const { connectionString, schema } = parsePostgresUrl(url);
      if (schema) {
        const c = new Client({ connectionString });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
