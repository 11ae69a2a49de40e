'use strict';
// A self-contained HTML page with a waterfall of each trace: one row per span, bars on the
// trace's time axis, coloured by service, every attribute on hover. Inline CSS, JS and SVG only:
// it opens from disk in any browser, with no network.
const { flatten, keyAttributes, errorMessage, firstTokenMs } = require('./trace-tree');

const COLORS = { agent: '#0e7490', rag: '#a21caf', gateway: '#b45309' };
const FALLBACK_COLORS = ['#2563eb', '#15803d', '#9f1239', '#4d7c0f'];
const ROW = 22;
const LABEL_WIDTH = 320;
const BAR_WIDTH = 540;
const AXIS = 26;
const RIGHT_MARGIN = 290; // room for the labels right of the latest bars
const CHAR_WIDTH = 6.7; // 11px monospace

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function colorOf(service, extra) {
  if (COLORS[service]) return COLORS[service];
  if (!extra.has(service)) extra.set(service, FALLBACK_COLORS[extra.size % FALLBACK_COLORS.length]);
  return extra.get(service);
}

/** "Nice" tick spacing for a time axis of `totalMs`. */
function tickStep(totalMs) {
  const raw = totalMs / 6;
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? power * 10;
}

const formatMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`);

/** A CLIENT span is named by where it went: the service of the SERVER span it caused. */
function nameOf(span, children) {
  if (span.kind !== 'CLIENT') return span.name;
  const callee = children.find((c) => c.span.kind === 'SERVER')?.span.service;
  return `${span.name} → ${callee ?? span.attributes['server.address'] ?? '?'}`;
}

function tooltip(span) {
  const lines = [`${span.service} · ${span.name}`, `kind ${span.kind} · ${formatMs(span.durationMs)} · status ${span.status.code}`, `span ${span.spanId}${span.parentSpanId ? ` ← ${span.parentSpanId}` : ''}`];
  if (span.status.code === 'ERROR') lines.push(`error: ${errorMessage(span)}`);
  for (const [key, value] of Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b))) lines.push(`${key} = ${JSON.stringify(value)}`);
  for (const event of span.events) {
    const at = formatMs(Number(event.timeNs - span.startNs) / 1e6);
    lines.push(`event ${event.name} at ${at}${event.attributes['exception.message'] ? `: ${event.attributes['exception.message']}` : ''}`);
  }
  return lines.join('\n');
}

function traceSvg(trace, extraColors) {
  const rows = flatten(trace.spans);
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  const start = trace.spans.reduce((min, s) => (s.startNs < min ? s.startNs : min), trace.spans[0].startNs);
  const end = trace.spans.reduce((max, s) => (s.endNs > max ? s.endNs : max), trace.spans[0].endNs);
  const totalMs = Math.max(Number(end - start) / 1e6, 0.001);
  const x = (ns) => LABEL_WIDTH + (Number(ns - start) / 1e6 / totalMs) * BAR_WIDTH;
  const height = AXIS + rows.length * ROW + 6;
  const width = LABEL_WIDTH + BAR_WIDTH + RIGHT_MARGIN;
  const parts = [];

  const step = tickStep(totalMs);
  for (let t = 0, i = 0; t <= totalMs + 1e-9 && i < 50; t += step, i++) {
    const tx = LABEL_WIDTH + (t / totalMs) * BAR_WIDTH;
    parts.push(`<line class="grid" x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${AXIS - 6}" y2="${height}"/>`);
    parts.push(`<text class="tick" x="${tx.toFixed(1)}" y="${AXIS - 10}">${escapeHtml(formatMs(t))}</text>`);
  }

  rows.forEach(({ span, depth, children }, i) => {
    const y = AXIS + i * ROW;
    const color = colorOf(span.service, extraColors);
    const x1 = x(span.startNs);
    const w = Math.max(1.5, x(span.endNs) - x1);
    const error = span.status.code === 'ERROR';
    const attrs = keyAttributes(span, byId.get(span.parentSpanId), { maxErrorLength: 60 }).join('  ');
    parts.push(`<g class="row${error ? ' error' : ''}" data-tip="${escapeHtml(tooltip(span))}">`);
    parts.push(`<rect class="band" x="0" y="${y}" width="${width}" height="${ROW}"/>`);
    parts.push(`<rect x="${6 + depth * 14}" y="${y + 7}" width="8" height="8" rx="2" fill="${color}"/>`);
    parts.push(`<text class="name" x="${20 + depth * 14}" y="${y + 15}">${escapeHtml(nameOf(span, children))}${error ? ' ⚠' : ''}</text>`);
    parts.push(`<rect class="bar" x="${x1.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW - 8}" rx="2" fill="${color}"${error ? ' stroke="#dc2626" stroke-width="2"' : ''}/>`);
    // A streamed response: a mark where its first token went out.
    const firstToken = firstTokenMs(span);
    if (firstToken !== undefined) {
      const fx = x1 + (firstToken / totalMs) * BAR_WIDTH;
      parts.push(`<path class="first-token" d="M${fx.toFixed(1)} ${y + 6}l5 5-5 5-5-5z"/>`);
    }
    // The label goes right of the bar, or left of it when it would run off the picture.
    const label = `${formatMs(span.durationMs)}${attrs ? `  ${attrs}` : ''}`;
    const labelWidth = label.length * CHAR_WIDTH;
    const after = x1 + w + 4;
    const placement =
      after + labelWidth <= width - 4 || x1 - 4 - labelWidth < LABEL_WIDTH ? `x="${after.toFixed(1)}"` : `x="${(x1 - 4).toFixed(1)}" text-anchor="end"`;
    parts.push(`<text class="dur" ${placement} y="${y + 15}">${escapeHtml(label)}</text>`);
    parts.push('</g>');
  });
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="waterfall of trace ${trace.traceId}">${parts.join('')}</svg>`;
}

/**
 * @param {{ title: string, subtitle?: string, traceId: string, spans: object[], ok: boolean, problems: string[] }[]} traces
 * @param {{ heading?: string, generatedAt?: Date }} [options]
 */
function renderWaterfallHtml(traces, { heading = 'agent → rag → gateway: one trace per task', generatedAt = new Date() } = {}) {
  const extraColors = new Map();
  const known = Object.keys(COLORS);
  const services = [...new Set([...known, ...traces.flatMap((t) => t.spans.map((s) => s.service))])].filter((s) => traces.some((t) => t.spans.some((x) => x.service === s)));
  const legend = services.map((s) => `<span class="key"><i style="background:${colorOf(s, extraColors)}"></i>${escapeHtml(s)}</span>`).join('');
  const sections = traces
    .map((trace, i) => {
      const badge = trace.ok ? '<span class="ok">one connected tree</span>' : `<span class="bad">broken: ${escapeHtml(trace.problems.join('; '))}</span>`;
      const svg = trace.spans.length > 0 ? traceSvg(trace, extraColors) : '<p class="bad">no spans received</p>';
      return `<section id="trace-${i + 1}"><h2>${escapeHtml(trace.title)}</h2><p class="meta">${trace.subtitle ? `${escapeHtml(trace.subtitle)} · ` : ''}trace <code>${escapeHtml(trace.traceId)}</code> · ${trace.spans.length} spans · ${badge}</p><div class="scroll">${svg}</div></section>`;
    })
    .join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:20px 24px;color:#1f2937;background:#fff}
h1{font-size:19px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 2px}
.meta{margin:0 0 6px;color:#4b5563;font-size:12.5px}code{font-size:12px}
.legend{margin:4px 0 8px;font-size:13px}.key{margin-right:14px}.key i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.ok{color:#15803d}.bad{color:#dc2626}
.scroll{overflow-x:auto;border:1px solid #e5e7eb;border-radius:6px}
svg{display:block;font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.grid{stroke:#eef0f3}.tick{fill:#6b7280;font-size:10.5px;text-anchor:middle}
.first-token{fill:#facc15;stroke:#111827;stroke-width:1.2}.band{fill:transparent}.row:hover .band{fill:#f3f4f6}.name{fill:#111827}.error .name{fill:#dc2626}.dur{fill:#4b5563;font-size:11px}
#tip{position:fixed;pointer-events:none;background:#111827;color:#f9fafb;font:11.5px/1.45 ui-monospace,Menlo,Consolas,monospace;padding:7px 9px;border-radius:5px;white-space:pre;max-width:70vw;overflow:hidden;display:none;z-index:9}
</style></head><body>
<h1>${escapeHtml(heading)}</h1>
<p class="meta">Generated ${escapeHtml(generatedAt.toISOString())} by <code>npm run demo</code> from the spans the three services exported over OTLP. Hover a row for every attribute.</p>
<div class="legend">${legend}<span class="key"><i style="background:#fff;border:2px solid #dc2626;width:7px;height:7px"></i>error</span><span class="key"><i style="background:#facc15;border:1px solid #111827;width:7px;height:7px;transform:rotate(45deg)"></i>first token of a stream (gen_ai.first_token)</span></div>
${sections}
<div id="tip"></div>
<script>
(function () {
  // ?traces=1,5 shows only those traces (for a screenshot of the interesting ones).
  var only = /[?&]traces=([0-9,]+)/.exec(location.search);
  if (only) {
    var keep = only[1].split(',');
    document.querySelectorAll('section').forEach(function (s) {
      if (keep.indexOf(s.id.replace('trace-', '')) === -1) s.style.display = 'none';
    });
  }
  var tip = document.getElementById('tip');
  document.addEventListener('mousemove', function (e) {
    var row = e.target.closest ? e.target.closest('[data-tip]') : null;
    if (!row) { tip.style.display = 'none'; return; }
    tip.textContent = row.getAttribute('data-tip');
    tip.style.display = 'block';
    var x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var y = e.clientY + 16 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 10 : e.clientY + 16;
    tip.style.left = Math.max(4, x) + 'px';
    tip.style.top = Math.max(4, y) + 'px';
  });
})();
</script>
</body></html>
`;
}

module.exports = { renderWaterfallHtml };
