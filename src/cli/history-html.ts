/**
 * `cordon history --html FILE`: one self-contained page (inline CSS and
 * script, no server, no network: its Content-Security-Policy allows nothing
 * to be fetched) with a timeline per incident and the state cordon replaced.
 * Every text from the audit trail is escaped: a finding's fields can be
 * chosen by an attacker.
 */
import type { Incident, TimelineEvent } from '../audit/history';

/** What the page says about itself: the range and where the records came from. */
export interface HistoryPageMeta {
  readonly since: string;
  readonly until: string;
  readonly source: string;
  readonly generatedAt: string;
}

/** The page's Content-Security-Policy: inline style and script only, nothing loaded from anywhere. */
export const HISTORY_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/** The HTML page (UTF-8 text). */
export function renderHistoryHtml(list: readonly Incident[], meta: HistoryPageMeta): string {
  const body =
    list.length === 0
      ? `<p class="empty">No audit records from ${esc(meta.since)} to ${esc(meta.until)}.</p>`
      : list.map(incidentHtml).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${HISTORY_PAGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cordon history</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>cordon history</h1>
<p class="meta">${list.length} incident(s) from <time>${esc(meta.since)}</time> to <time>${esc(meta.until)}</time> · ${esc(meta.source)} · written ${esc(meta.generatedAt)}</p>
<input id="filter" type="search" placeholder="filter: account, type, resource, runbook…" aria-label="filter incidents">
</header>
<main>
${body}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function incidentHtml(i: Incident): string {
  return `<section class="incident ${i.outcome}" data-search="${esc([i.accountId, i.region, i.findingType, i.findingId, i.runbook ?? '', ...i.events.map((e) => e.resource)].join(' ').toLowerCase())}">
<h2><span class="badge">${esc(i.outcome)}</span> ${esc(i.findingType)}</h2>
<p class="about">account <b>${esc(i.accountId)}</b> · ${esc(i.region)} · runbook ${esc(i.runbook ?? 'none')} · finding <code>${esc(i.findingId)}</code></p>
<ol class="timeline">
${i.events.map(eventHtml).join('\n')}
</ol>
</section>`;
}

function eventHtml(e: TimelineEvent): string {
  const state =
    e.prior !== undefined
      ? `<details><summary>state replaced</summary><pre>${esc(JSON.stringify(e.prior, null, 2))}</pre>${
          e.changed !== undefined ? `<p>changed to</p><pre>${esc(JSON.stringify(e.changed, null, 2))}</pre>` : ''
        }</details>`
      : '';
  return `<li class="event ${esc(e.status)}"><time>${esc(e.at)}</time> <span class="status">${esc(e.status)}</span> <b>${esc(e.action)}</b> <code>${esc(e.resource)}</code>${e.actor === 'release' ? ' <span class="actor">release</span>' : ''}<div class="detail">${esc(e.detail)}</div>${state}</li>`;
}

/** Text as HTML (element content and attribute values). */
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:16px 24px}h1{margin:0 0 4px;font-size:20px}.meta{margin:0 0 10px;color:#c5cbd6}
#filter{width:min(420px,90%);padding:6px 8px;border-radius:4px;border:0}
main{padding:16px 24px;max-width:1100px}.empty{color:#555}
.incident{background:#fff;border-radius:6px;box-shadow:0 1px 2px rgba(0,0,0,.12);padding:12px 16px;margin:0 0 16px;border-left:6px solid #8a94a6}
.incident.contained{border-color:#2e8540}.incident.failed{border-color:#c62828}.incident.released{border-color:#1565c0}
h2{font-size:16px;margin:0 0 4px}.badge{font-size:11px;text-transform:uppercase;background:#eef0f3;padding:2px 6px;border-radius:3px;vertical-align:middle}
.about{margin:0 0 8px;color:#444}.timeline{list-style:none;margin:0;padding:0 0 0 14px;border-left:2px solid #d5d9e0}
.event{position:relative;margin:0 0 10px;padding-left:10px}.event:before{content:"";position:absolute;left:-21px;top:5px;width:10px;height:10px;border-radius:50%;background:#8a94a6}
.event.done:before,.event.already:before{background:#2e8540}.event.failed:before{background:#c62828}
.event time{color:#666;font-variant-numeric:tabular-nums}.status{font-weight:600;text-transform:uppercase;font-size:11px}
.detail{color:#333}pre{background:#f0f2f5;padding:8px;overflow:auto;max-height:300px}.actor{color:#1565c0}
.hidden{display:none}
`;

const SCRIPT = `
document.getElementById('filter').addEventListener('input', function (e) {
  var q = e.target.value.toLowerCase();
  document.querySelectorAll('.incident').forEach(function (s) {
    s.classList.toggle('hidden', q !== '' && s.getAttribute('data-search').indexOf(q) < 0);
  });
});
`;
