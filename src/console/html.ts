/**
 * The console's HTML: tagged-template rendering with escaping by default (a value is escaped
 * unless it is already `Html`), one page layout, and the few building blocks the pages share.
 * No inline script or style anywhere, so the Content-Security-Policy can forbid both.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function escape(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

type Part = Html | string | number | undefined | null | false | Part[];

function render(v: Part): string {
  if (v === undefined || v === null || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escape(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  values.forEach((v, i) => (out += render(v) + strings[i + 1]));
  return new Html(out);
}

export const NAV: Array<[string, string]> = [
  ['/console', 'Overview'],
  ['/console/exchanges', 'Exchanges'],
  ['/console/outbox', 'Outbox'],
  ['/console/mappings', 'Mappings'],
  ['/console/dry-run', 'Dry run'],
  ['/console/ledger', 'Ledger'],
  ['/console/settlement', 'Settlement'],
];

export function page(
  title: string,
  current: string,
  body: Html,
  assets: { css: string; js: string; uplotCss: string; uplotJs: string },
  opts: { charts?: boolean; flash?: string } = {},
): string {
  return `<!doctype html>${html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${title} · couponbridge</title>
      ${opts.charts ? html`<link rel="stylesheet" href="${assets.uplotCss}" />` : ''}
      <link rel="stylesheet" href="${assets.css}" />
    </head>
    <body>
      <header>
        <strong>couponbridge</strong>
        <nav>
          ${NAV.map(([href, label]) => html`<a href="${href}" ${current === href ? new Html(' aria-current="page"') : ''}>${label}</a>`)}
        </nav>
        <form method="post" action="/console/logout">
          <button type="submit" class="link">Log out</button>
        </form>
      </header>
      <main>
        <h1>${title}</h1>
        ${opts.flash ? html`<p class="flash" role="status">${opts.flash}</p>` : ''} ${body}
      </main>
      ${opts.charts ? html`<script src="${assets.uplotJs}"></script>` : ''}
      <script src="${assets.js}"></script>
    </body>
  </html>`}`;
}

export function table(head: string[], rows: Part[][], attrs: { id?: string } = {}): Html {
  return html`<table${attrs.id ? new Html(` id="${escape(attrs.id)}"`) : ''}>
<thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr>
        ${r.map((c) => html`<td>${c}</td>`)}
      </tr>`,
  )}</tbody>
</table>`;
}

/** JSON for the page's script, in a data block (type application/json is never executed). */
export function dataBlock(id: string, value: unknown): Html {
  return new Html(
    `<script type="application/json" id="${escape(id)}">${JSON.stringify(value).replace(/</g, '\\u003c')}</script>`,
  );
}

export function select(name: string, options: string[], selected?: string, label?: string): Html {
  return html`<label
    >${label ?? name}
    <select name="${name}">
      ${options.map((o) => html`<option${o === selected ? new Html(' selected') : ''}>${o}</option>`)}
    </select></label
  >`;
}
