/**
 * The console's static files: its own stylesheet and script (kept here as text so the project's
 * own TypeScript build ships them, no bundler), and uPlot from its installed package. Each is
 * served under a name carrying its content hash, so it can be cached for a year.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const css = `
:root { font: 14px/1.45 system-ui, sans-serif; color: #1d2430; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #1d2430; color: #fff; }
header nav { display: flex; gap: 1rem; flex: 1; }
header a { color: #c9d3e3; text-decoration: none; }
header a[aria-current=page] { color: #fff; border-bottom: 2px solid #6cb0ff; }
header form { margin: 0; }
button.link { background: none; border: 0; color: #c9d3e3; cursor: pointer; font: inherit; }
main { padding: 1rem 1.4rem 3rem; max-width: 1200px; }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; }
td code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #fff; border: 1px solid #e3e6eb; padding: .6rem; overflow: auto; white-space: pre-wrap; }
form.inline { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin-bottom: 1rem; }
label { display: inline-flex; flex-direction: column; gap: .2rem; font-size: 12px; color: #4a5568; }
input, select, textarea { font: inherit; padding: .3rem .4rem; border: 1px solid #c4cad3; border-radius: 3px; }
form > label { display: flex; }
textarea { width: 100%; box-sizing: border-box; min-height: 14rem; font: 12px/1.4 ui-monospace, monospace; }
button { padding: .35rem .8rem; border: 1px solid #2b6cb0; background: #2b6cb0; color: #fff; border-radius: 3px; cursor: pointer; }
.flash { background: #e6f4ea; border: 1px solid #9ccfa8; padding: .5rem .8rem; }
.bad { color: #b42318; } .ok { color: #1a7f37; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; margin-bottom: 1rem; }
.card { background: #fff; border: 1px solid #e3e6eb; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.4rem; }
.chart { background: #fff; border: 1px solid #e3e6eb; margin-bottom: 1rem; padding: .4rem; }
nav.months { display: flex; gap: 1rem; align-items: center; margin-bottom: .5rem; }
nav.months form { margin: 0; }
.num { font-variant-numeric: tabular-nums; }
.login { max-width: 22rem; margin: 5rem auto; background: #fff; padding: 1.5rem; border: 1px solid #e3e6eb; }
.login input { width: 100%; box-sizing: border-box; margin: .4rem 0 1rem; }
`;

/** Draws the overview's charts from the page's data block (uPlot); nothing else needs script. */
const js = `
(function () {
  var block = document.getElementById('chart-data');
  if (!block || typeof uPlot === 'undefined') return;
  var data = JSON.parse(block.textContent);
  var palette = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#2c7a7b', '#975a16', '#4a5568'];
  data.charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    if (!el) return;
    var series = [{}].concat(c.series.map(function (name, i) {
      return { label: name, stroke: palette[i % palette.length], width: 2 };
    }));
    new uPlot({ title: c.title, width: el.clientWidth || 900, height: 220, series: series,
      axes: [{}, { label: c.unit }] }, [data.times].concat(c.values), el);
  });
})();
`;

interface Asset {
  path: string;
  type: string;
  body: Buffer;
}

function asset(name: string, type: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const dot = name.lastIndexOf('.');
  return { path: `/console/assets/${name.slice(0, dot)}.${hash}${name.slice(dot)}`, type, body };
}

function uplotFile(file: string): Buffer {
  const dir = dirname(require.resolve('uplot/package.json'));
  return readFileSync(join(dir, 'dist', file));
}

export interface ConsoleAssets {
  css: string;
  js: string;
  uplotCss: string;
  uplotJs: string;
  byPath: Map<string, Asset>;
}

export function loadAssets(): ConsoleAssets {
  const list = {
    css: asset('console.css', 'text/css; charset=utf-8', Buffer.from(css)),
    js: asset('console.js', 'text/javascript; charset=utf-8', Buffer.from(js)),
    uplotCss: asset('uPlot.min.css', 'text/css; charset=utf-8', uplotFile('uPlot.min.css')),
    uplotJs: asset('uPlot.iife.min.js', 'text/javascript; charset=utf-8', uplotFile('uPlot.iife.min.js')),
  };
  return {
    css: list.css.path,
    js: list.js.path,
    uplotCss: list.uplotCss.path,
    uplotJs: list.uplotJs.path,
    byPath: new Map(Object.values(list).map((a) => [a.path, a])),
  };
}
