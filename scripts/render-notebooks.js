#!/usr/bin/env node
/**
 * Render check for executed notebooks (spec/notebooks.md §8). Node only, no nbconvert:
 *
 *   node scripts/render-notebooks.js [--optional] [--html-dir DIR] [--chromium PATH] [NB.ipynb | DIR]...
 *
 * 1. Converts each executed notebook (default: out/notebooks/*.ipynb, as written by
 *    `nbrun.js --out out/notebooks`) to a standalone HTML page: markdown, sources, streams,
 *    display_data (text/html as is, PNG/JPEG as data URIs, SVG inline, text/plain), errors.
 * 2. Runs headless chromium on each page twice with the same flags: `--screenshot` (a PNG next to the
 *    page) and `--dump-dom`, and fails unless every `div.plotly-figure` of the page gained plotly's
 *    `js-plotly-plot` class (it does not when the plotly bundle is missing or broken).
 *
 * Without chromium it says so and exits 1, or 0 with --optional (pages are still written).
 * Exit 1 if any page fails; the last line reads `N rendered, M failed`.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const USAGE = 'usage: node scripts/render-notebooks.js [--optional] [--html-dir DIR] [--chromium PATH] [NOTEBOOK.ipynb | DIR]...';

function parseArgs(argv) {
  const opts = { optional: false, htmlDir: path.join('out', 'html'), chromium: null, inputs: [] };
  for (let i = 0; i < argv.length; i++) {
    const [arg, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--optional') opts.optional = true;
    else if (arg === '--html-dir' || arg === '--out') opts.htmlDir = value();
    else if (arg === '--chromium') opts.chromium = value();
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    else opts.inputs.push(arg);
  }
  if (opts.inputs.length === 0) opts.inputs.push(path.join('out', 'notebooks'));
  return opts;
}

function fail(message) {
  process.stderr.write(`render-notebooks: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function notebookFiles(inputs) {
  const files = [];
  for (const input of inputs) {
    if (!fs.existsSync(input)) fail(`${input} does not exist (run \`node scripts/nbrun.js --out out/notebooks notebooks/*.ipynb\` first)`);
    if (fs.statSync(input).isDirectory()) {
      for (const name of fs.readdirSync(input).sort()) if (name.endsWith('.ipynb')) files.push(path.join(input, name));
    } else files.push(input);
  }
  if (files.length === 0) fail(`no .ipynb files in ${inputs.join(', ')}`);
  return files;
}

// ---------------------------------------------------------------------------------------------
// ipynb -> HTML

const text = (v) => (Array.isArray(v) ? v.join('') : v == null ? '' : String(v));
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s) => escapeHtml(s).replace(/"/g, '&quot;');
// eslint-disable-next-line no-control-regex -- ANSI colour codes in tracebacks
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/** Inline markdown: code spans, links, images, bold, italic (HTML-escaped first). */
function inlineMarkdown(s) {
  const codes = [];
  let out = s.replace(/`([^`]+)`/g, (_, c) => {
    codes.push(`<code>${escapeHtml(c)}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  out = escapeHtml(out)
    .replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (_, alt, src) => `<img alt="${escapeAttr(alt)}" src="${escapeAttr(src)}">`)
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, t, href) => `<a href="${escapeAttr(href)}">${t}</a>`)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>');
  // eslint-disable-next-line no-control-regex -- placeholders set above
  return out.replace(/\u0000(\d+)\u0000/g, (_, i) => codes[Number(i)]);
}

/** A small markdown subset: headings, paragraphs, fenced code, lists, quotes, rules, raw HTML lines. */
function markdownToHtml(src) {
  const lines = src.replace(/\r\n/g, '\n').split('\n');
  const html = [];
  let para = [];
  let list = null; // 'ul' | 'ol'
  const flushPara = () => {
    if (para.length) html.push(`<p>${inlineMarkdown(para.join(' '))}</p>`);
    para = [];
  };
  const closeList = () => {
    if (list) html.push(`</${list}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^\s*(```|~~~)/);
    if (fence) {
      flushPara();
      closeList();
      const body = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      html.push(`<pre><code>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    let m;
    if (!line.trim()) {
      flushPara();
      closeList();
    } else if ((m = line.match(/^(#{1,6})\s+(.*)$/))) {
      flushPara();
      closeList();
      html.push(`<h${m[1].length}>${inlineMarkdown(m[2])}</h${m[1].length}>`);
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flushPara();
      closeList();
      html.push('<hr>');
    } else if ((m = line.match(/^\s*([-*+]|\d+[.)])\s+(.*)$/))) {
      flushPara();
      const kind = /\d/.test(m[1]) ? 'ol' : 'ul';
      if (list !== kind) {
        closeList();
        html.push(`<${kind}>`);
        list = kind;
      }
      html.push(`<li>${inlineMarkdown(m[2])}</li>`);
    } else if ((m = line.match(/^>\s?(.*)$/))) {
      flushPara();
      closeList();
      html.push(`<blockquote>${inlineMarkdown(m[1])}</blockquote>`);
    } else if (/^\s*<\/?[a-zA-Z][^>]*>\s*$/.test(line)) {
      flushPara();
      closeList();
      html.push(line);
    } else if (list && /^\s+\S/.test(line)) {
      html[html.length - 1] = html[html.length - 1].replace(/<\/li>$/, ` ${inlineMarkdown(line.trim())}</li>`);
    } else {
      closeList();
      para.push(line.trim());
    }
  }
  flushPara();
  closeList();
  return html.join('\n');
}

const MIME_ORDER = ['text/html', 'image/png', 'image/jpeg', 'image/gif', 'image/svg+xml', 'text/markdown', 'text/latex', 'text/plain'];

function outputToHtml(out) {
  if (out.output_type === 'stream') {
    return `<pre class="output stream ${escapeAttr(out.name || 'stdout')}">${escapeHtml(text(out.text))}</pre>`;
  }
  if (out.output_type === 'error') {
    const tb = (out.traceback || []).map(stripAnsi).join('\n') || `${out.ename}: ${out.evalue}`;
    return `<pre class="output error">${escapeHtml(tb)}</pre>`;
  }
  if (out.output_type === 'display_data' || out.output_type === 'execute_result') {
    const data = out.data || {};
    const mime = MIME_ORDER.find((m) => m in data) || Object.keys(data)[0];
    if (!mime) return '';
    const body = text(data[mime]);
    switch (mime) {
      case 'text/html':
        return `<div class="output html">${body}</div>`;
      case 'image/svg+xml':
        return `<div class="output svg">${body}</div>`;
      case 'image/png':
      case 'image/jpeg':
      case 'image/gif':
        return `<div class="output image"><img src="data:${mime};base64,${body.replace(/\s/g, '')}"></div>`;
      case 'text/markdown':
        return `<div class="output markdown">${markdownToHtml(body)}</div>`;
      default:
        return `<pre class="output text">${escapeHtml(body)}</pre>`;
    }
  }
  return '';
}

function notebookToHtml(nb, title) {
  const parts = [];
  for (const cell of nb.cells || []) {
    const src = text(cell.source);
    if (cell.cell_type === 'markdown') parts.push(`<div class="cell markdown">${markdownToHtml(src)}</div>`);
    else if (cell.cell_type === 'raw') parts.push(`<pre class="cell raw">${escapeHtml(src)}</pre>`);
    else if (cell.cell_type === 'code') {
      const prompt = cell.execution_count != null ? `[${cell.execution_count}]` : '[ ]';
      const outs = (cell.outputs || []).map(outputToHtml).join('\n');
      parts.push(
        `<div class="cell code"><div class="input"><span class="prompt">${prompt}</span><pre class="source">${escapeHtml(src)}</pre></div>` +
          (outs ? `\n<div class="outputs">\n${outs}\n</div>` : '') +
          '</div>',
      );
    }
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1180px; margin: 1.5em auto; padding: 0 1em; color: #222; }
.cell { margin: 0.8em 0; }
.input { display: flex; gap: 0.6em; }
.prompt { color: #307fc1; font-family: monospace; min-width: 3.5em; padding-top: 0.5em; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: 13px; }
pre.source { flex: 1; background: #f7f7f7; border: 1px solid #e0e0e0; padding: 0.5em; }
.outputs { margin-left: 4.1em; }
.output { margin: 0.4em 0; overflow-x: auto; }
pre.stream.stderr { background: #fff2f2; }
pre.error { background: #fdd; color: #900; padding: 0.3em; }
table.srkd-table { border-collapse: collapse; font-size: 13px; }
table.srkd-table td, table.srkd-table th { border-bottom: 1px solid #ddd; padding: 2px 10px; }
code { background: #f2f2f2; padding: 0 3px; }
</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// chromium

function findChromium(explicit) {
  const candidates = explicit ? [explicit] : [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);
  return candidates.find((c) => fs.existsSync(c)) || null;
}

function runChromium(bin, extra, url) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-chromium-'));
  try {
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars',
      '--window-size=1280,3000', '--virtual-time-budget=15000', ...extra, url,
    ];
    return spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Class attributes of every <div> whose class list has plotly-figure. */
function plotlyFigureClasses(html) {
  const classes = [];
  for (const m of html.matchAll(/<div\b[^>]*\bclass\s*=\s*"([^"]*)"[^>]*>/gi)) {
    if (m[1].split(/\s+/).includes('plotly-figure')) classes.push(m[1]);
  }
  return classes;
}

function checkPage(bin, htmlFile) {
  const url = `file://${path.resolve(htmlFile)}`;
  const png = htmlFile.replace(/\.html$/, '.png');
  const expected = plotlyFigureClasses(fs.readFileSync(htmlFile, 'utf8')).length;
  const shot = runChromium(bin, [`--screenshot=${path.resolve(png)}`], url);
  if (shot.error || shot.status !== 0 || !fs.existsSync(png)) {
    return { ok: false, message: `screenshot failed (${shot.error ? shot.error.message : `exit ${shot.status}`}): ${(shot.stderr || '').trim().split('\n').slice(-5).join(' | ')}` };
  }
  const dump = runChromium(bin, ['--dump-dom'], url);
  if (dump.error || dump.status !== 0) {
    return { ok: false, message: `--dump-dom failed (${dump.error ? dump.error.message : `exit ${dump.status}`}): ${(dump.stderr || '').trim().split('\n').slice(-5).join(' | ')}` };
  }
  const found = plotlyFigureClasses(dump.stdout);
  const rendered = found.filter((c) => c.split(/\s+/).includes('js-plotly-plot')).length;
  const ok = found.length === expected && rendered === expected;
  return { ok, png, message: `${rendered}/${expected} plotly figures rendered${found.length !== expected ? ` (${found.length} in the DOM)` : ''}` };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const files = notebookFiles(opts.inputs);
  fs.mkdirSync(opts.htmlDir, { recursive: true });
  const pages = files.map((file) => {
    const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
    const html = path.join(opts.htmlDir, path.basename(file).replace(/\.ipynb$/, '.html'));
    fs.writeFileSync(html, notebookToHtml(nb, path.basename(file, '.ipynb')));
    return html;
  });

  const bin = findChromium(opts.chromium);
  if (!bin) {
    const msg =
      `render-notebooks: chromium not found (${opts.chromium || '/usr/bin/chromium'}); wrote ${pages.length} HTML page(s) to ${opts.htmlDir} ` +
      'but could not check that plots render. Install it with `apt-get install -y --no-install-recommends chromium`, ' +
      'or pass --chromium PATH.';
    if (opts.optional) {
      process.stdout.write(`${msg}\nskipped (--optional)\n`);
      return 0;
    }
    process.stderr.write(`${msg}\n`);
    return 1;
  }

  let failed = 0;
  for (const page of pages) {
    const t0 = Date.now();
    const r = checkPage(bin, page);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${page}: ${r.message}${r.png ? `, screenshot ${r.png}` : ''} (${secs} s)\n`);
    if (!r.ok) failed++;
  }
  process.stdout.write(`${pages.length - failed} rendered, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main();

module.exports = { notebookToHtml, markdownToHtml, plotlyFigureClasses, ROOT };
