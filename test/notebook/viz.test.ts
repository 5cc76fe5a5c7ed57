import { describe, expect, it } from 'vitest';
import { inertScriptText, plotHtml, plotlyBundle, plotPage, resetPlotSession, scriptJson } from '../../lib/viz/plot';
import { formatNumber, formatTable, tableHtml } from '../../lib/viz/table';

const count = (haystack: string, needle: string | RegExp): number =>
  typeof needle === 'string' ? haystack.split(needle).length - 1 : (haystack.match(needle) ?? []).length;

const BUNDLE_MARK = 'plotly.js v';
const fig = { data: [{ type: 'scatter', x: [1, 2], y: [3, 4], name: 'a</script><!--b' }], layout: { title: { text: 't' } } };

describe('plotHtml', () => {
  it('inlines plotly.js for the first figure of a session only', () => {
    resetPlotSession();
    const first = plotHtml(fig);
    const second = plotHtml(fig);
    expect(count(first, BUNDLE_MARK)).toBe(1);
    expect(count(second, BUNDLE_MARK)).toBe(0);
    for (const html of [first, second]) {
      expect(count(html, 'class="plotly-figure"')).toBe(1);
      expect(html).toContain('window.Plotly');
    }
    expect(second.length).toBeLessThan(20_000);
    expect(count(plotHtml(fig, { bundle: 'inline' }), BUNDLE_MARK)).toBe(1);
    expect(count(plotHtml(fig, { bundle: 'none' }), BUNDLE_MARK)).toBe(0);
  });

  it('keeps figure data and the bundle from closing or commenting out the script', () => {
    resetPlotSession();
    const html = plotHtml(fig);
    // every </script in the fragment closes one of its own <script> elements
    expect(count(html, /<\/script/gi)).toBe(count(html, /<script\b/gi));
    expect(html).not.toContain('<!--');
    expect(scriptJson({ s: '</script>' })).toBe('{"s":"\\u003c/script>"}');
    expect(JSON.parse(scriptJson({ s: 'a<!--b' }))).toEqual({ s: 'a<!--b' });
    expect(inertScriptText('x="</SCRIPT>";y="<!--"')).toBe('x="<\\/SCRIPT>";y="<\\!--"');
    const bundle = plotlyBundle();
    expect(bundle).not.toMatch(/<\/script/i);
    expect(bundle).not.toContain('<!--');
  });

  it('plotPage embeds the bundle once for all figures', () => {
    const page = plotPage([fig, fig, fig], 'report <1>');
    expect(count(page, BUNDLE_MARK)).toBe(1);
    expect(count(page, 'class="plotly-figure"')).toBe(3);
    expect(page).toContain('<title>report &lt;1&gt;</title>');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
  });
});

describe('formatTable', () => {
  it('right-aligns numeric columns and left-aligns text', () => {
    const text = formatTable(
      [
        { set: 'Set5', psnr: 32.5, n: 5 },
        { set: 'Urban100', psnr: 7, n: 100 },
      ],
      { title: 'x4 paper-y', digits: 2 },
    );
    expect(text.split('\n')).toEqual([
      'x4 paper-y',
      'set        psnr    n',
      '--------  -----  ---',
      'Set5      32.50    5',
      'Urban100      7  100',
    ]);
  });

  it('formats tiny and huge numbers with exponents, and blanks missing cells', () => {
    expect(formatNumber(1.5e-7)).toBe('1.500e-7');
    expect(formatNumber(0.25)).toBe('0.2500');
    expect(formatNumber(12)).toBe('12');
    const text = formatTable([{ a: 1 }, { b: 'x' }]);
    expect(text.split('\n')[0]).toBe('a  b');
    expect(text.split('\n')[2]).toBe('1');
  });

  it('tableHtml escapes text and right-aligns numbers', () => {
    const html = tableHtml([{ name: '<b>', v: 1.25 }], { title: 'a & b' });
    expect(html).toContain('&lt;b&gt;');
    expect(html).toContain('a &amp; b');
    expect(html).toMatch(/<td style="text-align:right[^"]*">1\.2500<\/td>/);
  });
});
