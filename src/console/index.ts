/**
 * The operator console at /console: small server-rendered pages over the same functions as the
 * CLI — the journal (`trace`), the outbox commands, `check`, the shadow replay, the `translate`
 * dry run, `ledger show` and `reconcile` (the Settlement page, and its JSON at
 * /console/api/settlement). Nothing here is on the translation hot path.
 *
 * Access: `console.token` in the config. No token → the console does not exist (404 from the
 * app's unknown-path handler). Otherwise every page needs the token, as `Authorization: Bearer`
 * or through the login form, which sets an HttpOnly, SameSite=Strict cookie holding an HMAC of
 * the token (never the token itself); anything else is 401 with the login form. SameSite=Strict
 * and `form-action 'self'` keep other sites from posting the console's forms.
 *
 * Every answer carries a strict Content-Security-Policy (no inline script or style, nothing from
 * elsewhere) and `Cache-Control: no-store`, except the content-hashed assets (cached a year).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import express, { type Request, type Response } from 'express';
import type { Runtime } from '../runtime';
import type { ExchangeRecord, OutboxState } from '../store/types';
import { formatExchange } from '../cli/commands/trace';
import { listLine, showLines } from '../cli/commands/outbox';
import { runCheck } from '../cli/commands/check';
import { couponLines, findCoupon } from '../cli/commands/ledger';
import { dryRun } from '../cli/commands/translate';
import { loadCandidate, parseTime, reportLines } from '../cli/commands/replay';
import { shadowReplay, type ReplayOutcome } from '../replay/shadow';
import { toJson } from '../reconcile/format';
import { lastReload } from '../server/reload';
import { loadAssets } from './assets';
import { dataBlock, html, Html, page, select, table } from './html';
import { isOk, journalChart } from './overview';
import {
  currentMonth,
  parseMonth,
  settlementBody,
  settlementSource,
  type SettlementQuery,
} from './settlement';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
const COOKIE = 'cb_console';
const OUTBOX_STATES: OutboxState[] = ['pending', 'leased', 'dead', 'delivered'];

function cookieValue(token: string): string {
  return createHmac('sha256', token).update('couponbridge console session').digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;

export interface ExchangeSearch {
  key?: string;
  route?: string;
  partner?: string;
  outcome?: string;
  since?: string;
  until?: string;
}

/** Journal search: by business key (the `trace` lookup), else newest first through the filters. */
export async function searchExchanges(rt: Runtime, q: ExchangeSearch, max = 200): Promise<ExchangeRecord[]> {
  const since = q.since ? parseTime(q.since) : undefined;
  const until = q.until ? parseTime(q.until) : undefined;
  const keep = (e: ExchangeRecord) =>
    (!q.route || e.route === q.route) &&
    (!q.partner || e.partner === q.partner) &&
    (!q.outcome || e.outcome === q.outcome) &&
    (!since || e.at >= since) &&
    (!until || e.at <= until);
  if (q.key) {
    const one = await rt.store.getExchange(q.key);
    return (one ? [one] : (await rt.store.findExchanges(q.key)).reverse()).filter(keep).slice(0, max);
  }
  const out: ExchangeRecord[] = [];
  // Bounded scan of the newest part of the journal: the console is for recent traffic.
  for (let offset = 0; offset < 20_000 && out.length < max; offset += 500) {
    const list = await rt.store.listExchanges({ limit: 500, offset });
    for (const e of list) {
      if (since && e.at < since) return out;
      if (keep(e)) out.push(e);
      if (out.length >= max) break;
    }
    if (list.length < 500) break;
  }
  return out;
}

function differencesTable(outcomes: ReplayOutcome[]): Html {
  const rows = outcomes.flatMap((o) =>
    o.status === 'different'
      ? o.differences.map((d) => [
          html`<a href="/console/exchanges/${d.exchange}">${d.exchange}</a>`,
          d.route,
          html`<code>${d.field}</code>`,
          html`<code>${d.recorded}</code>`,
          html`<code>${d.candidate}</code>`,
        ])
      : [],
  );
  return rows.length > 0
    ? table(['exchange', 'route', 'field', 'recorded', 'candidate'], rows, { id: 'differences' })
    : html`<p class="ok" id="no-differences">No difference.</p>`;
}

/** The console's router, or undefined when no token is configured (then /console is a 404). */
export function createConsole(rt: Runtime): express.Router | undefined {
  const token = rt.config.console?.token;
  if (!token) return undefined;
  const session = cookieValue(token);
  const assets = loadAssets();
  const router = express.Router();
  const send = (res: Response, status: number, body: string) => {
    res.status(status).type('html').send(body);
  };
  const render = (
    title: string,
    current: string,
    body: Html,
    opts: { charts?: boolean; flash?: string } = {},
  ) => page(title, current, body, assets, opts);

  router.use((_req, res, next) => {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    next();
  });
  router.get('/assets/:name', (req, res) => {
    const a = assets.byPath.get(`/console/assets/${req.params.name}`);
    if (!a) return send(res, 404, 'not found');
    res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    res.type(a.type).send(a.body);
  });

  const loginPage = (message?: string) =>
    `<!doctype html>${html`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Log in · couponbridge</title>
        <link rel="stylesheet" href="${assets.css}" />
      </head>
      <body>
        <form class="login" method="post" action="/console/login">
          <h1>couponbridge console</h1>
          ${message ? html`<p class="bad" role="alert">${message}</p>` : ''}
          <label
            >Console token <input type="password" name="token" autocomplete="current-password" autofocus
          /></label>
          <button type="submit">Log in</button>
        </form>
      </body>
    </html>`}`;
  const form = express.urlencoded({ extended: false, limit: '1mb' });

  router.post('/login', form, (req, res) => {
    const given = str((req.body as Record<string, unknown>)?.token) ?? '';
    if (!sameText(cookieValue(given), session)) return send(res, 401, loginPage('Wrong token.'));
    const secure = req.secure ? '; Secure' : '';
    res.setHeader('set-cookie', `${COOKIE}=${session}; Path=/console; HttpOnly; SameSite=Strict${secure}`);
    res.redirect(303, '/console');
  });
  router.post('/logout', (_req, res) => {
    res.setHeader('set-cookie', `${COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`);
    res.redirect(303, '/console/login');
  });
  router.get('/login', (_req, res) => send(res, 200, loginPage()));
  router.use((req, res, next) => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const cookie = readCookie(req, COOKIE);
    if ((bearer && sameText(cookieValue(bearer), session)) || (cookie && sameText(cookie, session)))
      return next();
    res.setHeader('www-authenticate', 'Bearer realm="couponbridge console"');
    if (req.path.startsWith('/api/')) return res.status(401).json({ error: 'console token required' });
    send(res, 401, loginPage(bearer || cookie ? 'Wrong token.' : undefined));
  });

  router.get('/', async (_req, res) => {
    const recent = await searchExchanges(rt, { since: '6h' }, 20_000);
    const chart = journalChart(recent, new Date(), { hours: 6, bucketMinutes: 10 });
    const outbox = await Promise.all(
      OUTBOX_STATES.map(
        async (s) => [s, (await rt.store.listOutbox({ state: s, limit: 10_000 })).length] as const,
      ),
    );
    const reload = lastReload(rt);
    const body = html` <div class="cards">
        <div class="card">exchanges, 6 h<b id="total-exchanges">${recent.length}</b></div>
        <div class="card">errors, 6 h<b>${chart.errors}</b></div>
        ${outbox.map(([s, n]) => html`<div class="card">outbox ${s}<b id="outbox-${s}">${n}${n === 10_000 ? '+' : ''}</b></div>`)}
        <div class="card">
          mappings<b>${rt.table.byId.size} routes</b>${
            reload
              ? html`<span class="${reload.ok ? 'ok' : 'bad'}"
                  >last reload ${reload.at.toISOString()}: ${reload.ok ? 'applied' : 'rejected'}</span
                >`
              : html`<span>loaded at start, not reloaded since</span>`
          }
        </div>
      </div>
      ${reload && !reload.ok ? html`<pre class="bad">${reload.problems.join('\n')}</pre>` : ''}
      <h2>Traffic and errors per route and partner (last 6 h, 10 min buckets)</h2>
      <div id="chart-traffic" class="chart"></div>
      <div id="chart-errors" class="chart"></div>
      ${dataBlock('chart-data', chart.data)}
      ${table(
        ['route', 'partner', 'exchanges', 'errors', 'error rate'],
        chart.rows.map((r) => [
          r.route,
          r.partner,
          r.total,
          r.errors,
          `${((100 * r.errors) / r.total).toFixed(1)} %`,
        ]),
      )}`;
    send(res, 200, render('Overview', '/console', body, { charts: true }));
  });

  router.get('/exchanges', async (req, res) => {
    const q: ExchangeSearch = {
      key: str(req.query.key),
      route: str(req.query.route),
      partner: str(req.query.partner),
      outcome: str(req.query.outcome),
      since: str(req.query.since),
      until: str(req.query.until),
    };
    let list: ExchangeRecord[] = [];
    let error: string | undefined;
    try {
      list = await searchExchanges(rt, q);
    } catch (e) {
      error = (e as Error).message;
    }
    const field = (name: keyof ExchangeSearch, label: string, hint = '') =>
      html`<label>${label} <input name="${name}" value="${q[name] ?? ''}" placeholder="${hint}" /></label>`;
    const body = html` <form class="inline" method="get" action="/console/exchanges">
        ${field('key', 'business key or exchange id', 'request_id, coupon_id, orderId…')}
        ${field('route', 'route')} ${field('partner', 'partner')}
        ${field('outcome', 'outcome', 'success, CB_…')} ${field('since', 'since', '2h or ISO time')}
        ${field('until', 'until')}
        <button type="submit">Search</button>
      </form>
      ${error ? html`<p class="bad">${error}</p>` : ''}
      ${table(
        ['time', 'exchange', 'route', 'partner', 'outcome', 'ms', 'keys'],
        list.map((e) => [
          e.at.toISOString(),
          html`<a href="/console/exchanges/${e.id}">${e.id}</a>`,
          e.route,
          e.partner ?? '-',
          html`<span class="${isOk(e.outcome) ? 'ok' : 'bad'}">${e.outcome}</span>`,
          e.durationMs ?? '',
          e.businessKeys.join(', '),
        ]),
        { id: 'exchanges' },
      )}`;
    send(res, 200, render('Exchanges', '/console/exchanges', body));
  });

  router.get('/exchanges/:id', async (req, res) => {
    const e = await rt.store.getExchange(req.params.id);
    if (!e)
      return send(
        res,
        404,
        render(
          'Exchange not found',
          '/console/exchanges',
          html`<p>No exchange ${req.params.id} in the journal.</p>`,
        ),
      );
    const body = html`<p>As journaled: secrets and signatures removed, personal data masked.</p>
      <pre id="trace">${formatExchange(e).join('\n')}</pre>`;
    send(res, 200, render(`Exchange ${e.id}`, '/console/exchanges', body));
  });

  router.get('/outbox', async (req, res) => {
    const state = (str(req.query.state) ?? 'dead') as OutboxState;
    if (!OUTBOX_STATES.includes(state)) return send(res, 400, 'unknown state');
    const items = await rt.store.listOutbox({ state, limit: 200 });
    const body = html` <form class="inline" method="get" action="/console/outbox">
        ${select('state', OUTBOX_STATES, state, 'state')}<button type="submit">Show</button>
      </form>
      ${table(
        ['row', 'details', ''],
        items.map((i) => [
          html`<a href="/console/outbox/${i.id}">${i.id}</a>`,
          html`<code>${listLine(i)}</code>`,
          i.state === 'dead' || i.state === 'pending'
            ? html`<form method="post" action="/console/outbox/${i.id}/replay">
                <button type="submit">Replay</button>
              </form>`
            : '',
        ]),
        { id: 'outbox' },
      )}`;
    send(res, 200, render('Outbox', '/console/outbox', body, { flash: str(req.query.flash) }));
  });

  router.get('/outbox/:id', async (req, res) => {
    const item = await rt.store.getOutbox(req.params.id);
    if (!item)
      return send(
        res,
        404,
        render('Outbox row not found', '/console/outbox', html`<p>No outbox row ${req.params.id}.</p>`),
      );
    send(
      res,
      200,
      render(`Outbox row ${item.id}`, '/console/outbox', html`<pre>${showLines(item).join('\n')}</pre>`),
    );
  });

  router.post('/outbox/:id/replay', async (req, res) => {
    const item = await rt.store.getOutbox(req.params.id);
    const n = item ? await rt.store.replay(req.params.id) : 0;
    const flash = !item
      ? `No outbox row ${req.params.id}.`
      : n === 0
        ? `Row ${item.id} is ${item.state}; only dead or pending rows are replayed.`
        : `Replayed ${item.id} (${item.kind}@${item.v} to ${item.destination}): due now.`;
    res.redirect(303, `/console/outbox?state=${item?.state ?? 'dead'}&flash=${encodeURIComponent(flash)}`);
  });

  const mappingFiles = () => [
    ...new Set([...rt.table.set.mappings, ...rt.table.set.notify].map((m) => basename(m.file))),
    'stocks.yaml',
  ];
  const mappingsPage = (file: string, text: string, result?: Html) => {
    const check: string[] = [];
    runCheck(rt.config.mappings, (l) => check.push(l));
    return html` <h2>Loaded routes</h2>
      ${table(
        ['route', 'file', 'flow', 'inbound', 'target'],
        [...rt.table.byId.values()].map((r) => [
          r.id,
          basename(r.file),
          r.doc.flow,
          `${r.methods.join('|')} ${r.doc.inbound.path}`,
          r.target ? `${r.target.dialect.name} ${r.target.endpoint.path}` : '-',
        ]),
      )}
      <h2>check</h2>
      <pre id="check">${check.join('\n')}</pre>
      <h2>Shadow replay of a candidate file</h2>
      <p>
        Paste an edited mapping file: the journaled exchanges are re-translated with it (calling nothing) and
        every difference from what was sent and answered is listed.
      </p>
      <form method="get" action="/console/mappings" class="inline">
        ${select('file', mappingFiles(), file, 'file')}<button type="submit">Load current text</button>
      </form>
      <form method="post" action="/console/mappings/shadow">
        <input type="hidden" name="file" value="${file}" />
        <label
          >candidate ${file}<textarea name="text" id="candidate" spellcheck="false">${text}</textarea>
        </label>
        <p class="inline">
          <label>since <input name="since" value="24h" /></label> <button type="submit">Shadow replay</button>
        </p>
      </form>
      ${result ?? ''}`;
  };
  router.get('/mappings', (req, res) => {
    const file = basename(str(req.query.file) ?? mappingFiles()[0]);
    let text = '';
    try {
      text = readFileSync(join(rt.config.mappings, file), 'utf8');
    } catch {
      text = '';
    }
    send(res, 200, render('Mappings', '/console/mappings', mappingsPage(file, text)));
  });
  router.post('/mappings/shadow', form, async (req, res) => {
    const b = req.body as Record<string, unknown>;
    const file = basename(str(b.file) ?? '');
    const text = typeof b.text === 'string' ? b.text.replace(/\r\n/g, '\n') : '';
    const dir = mkdtempSync(join(tmpdir(), 'cb-console-candidate-'));
    let result: Html;
    try {
      if (!/\.ya?ml$/.test(file)) throw new Error('choose a mapping file');
      cpSync(rt.config.mappings, dir, { recursive: true });
      writeFileSync(join(dir, file), text);
      const candidate = loadCandidate(dir, rt);
      const outcomes = await shadowReplay(rt, candidate, {
        since: parseTime(str(b.since) ?? '24h'),
        limit: 2000,
      });
      result = html`<h2>Result</h2>
        ${differencesTable(outcomes)}
        <pre id="summary">
${reportLines(outcomes)
            .filter((l) => !l.includes(' → '))
            .join('\n')}</pre>`;
    } catch (e) {
      result = html`<h2>Result</h2>
        <pre class="bad" id="candidate-error">${(e as Error).message}</pre>`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    send(res, 200, render('Mappings', '/console/mappings', mappingsPage(file, text, result)));
  });

  const dryRunPage = (route: string, message: string, sign: boolean, output?: Html) =>
    html` <form method="post" action="/console/dry-run">
        <p class="inline">
          ${select('route', [...rt.table.byId.keys()].sort(), route, 'route')}
          <label
            >sign with the partner's credentials first
            <input type="checkbox" name="sign" value="1" ${sign ? new Html(' checked') : ''}
          /></label>
        </p>
        <label
          >partner message<textarea name="message" id="message" spellcheck="false">${message}</textarea>
        </label>
        <p><button type="submit">Dry run</button></p>
      </form>
      ${output ?? ''}`;
  router.get('/dry-run', (_req, res) => {
    send(
      res,
      200,
      render('Dry run', '/console/dry-run', dryRunPage([...rt.table.byId.keys()].sort()[0], '', true)),
    );
  });
  router.post('/dry-run', form, async (req, res) => {
    const b = req.body as Record<string, unknown>;
    const route = str(b.route) ?? '';
    const message = typeof b.message === 'string' ? b.message : '';
    const sign = b.sign === '1';
    const stages: Html[] = [];
    let exit: number;
    try {
      exit = await dryRun(rt, route, Buffer.from(message), { sign }, (title, v) => {
        stages.push(
          html`<h2>${title}</h2>
            <pre>${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}</pre>`,
        );
      });
    } catch (e) {
      exit = 2;
      stages.push(html`<pre class="bad">${(e as Error).message}</pre>`);
    }
    const output = html`<section id="stages" data-exit="${exit}">${stages}</section>`;
    send(res, 200, render('Dry run', '/console/dry-run', dryRunPage(route, message, sign, output)));
  });

  router.get('/ledger', async (req, res) => {
    const ref = str(req.query.coupon);
    let result: Html | string = '';
    if (ref) {
      const c = await findCoupon(rt.store, ref);
      result = c
        ? html`<pre id="coupon">${couponLines(c, await rt.store.history(c.id)).join('\n')}</pre>`
        : html`<p class="bad">No coupon ${ref} in the ledger.</p>`;
    }
    const body = html`<form class="inline" method="get" action="/console/ledger">
        <label
          >coupon (coupon_id, grant_serial, couponCode or ledger id)
          <input name="coupon" value="${ref ?? ''}"
        /></label>
        <button type="submit">Show</button>
      </form>
      ${result}`;
    send(res, 200, render('Ledger', '/console/ledger', body));
  });
  const statementOf = settlementSource(rt);
  /** The month (default: the current one in Shanghai) and partner asked for, or an error message. */
  const settlementQuery = (req: Request): SettlementQuery | string => {
    const month = str(req.query.month) ?? currentMonth(new Date());
    try {
      parseMonth(month);
    } catch (e) {
      return (e as Error).message;
    }
    return { month, partner: str(req.query.partner) };
  };
  router.get('/api/settlement', async (req, res) => {
    const q = settlementQuery(req);
    if (typeof q === 'string') return res.status(400).json({ error: q });
    // The shape of `couponbridge reconcile --format json`.
    res.type('json').send(toJson(await statementOf(q)));
  });
  router.get('/settlement', async (req, res) => {
    const q = settlementQuery(req);
    if (typeof q === 'string')
      return send(res, 400, render('Settlement', '/console/settlement', html`<p class="bad">${q}</p>`));
    const partners = [...rt.config.partners.map((p) => p.id), 'pyun'].sort();
    const body = settlementBody(await statementOf(q), q, partners);
    send(res, 200, render(`Settlement ${q.month}`, '/console/settlement', body));
  });

  // A failure (the store down, say) is logged and shown as a plain 500, never a stack trace.
  router.use((e: Error, req: Request, res: Response, _next: express.NextFunction) => {
    rt.logger.error('console request failed', { path: req.path, error: e.message });
    if (req.path.startsWith('/api/')) return res.status(500).json({ error: e.message });
    send(res, 500, render('Error', '', html`<p class="bad">${e.message}</p>`));
  });
  return router;
}
