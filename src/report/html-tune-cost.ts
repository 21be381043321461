import type { ChangeResult } from '../contracts/tune-session.js';
import type { GridPoint } from '../contracts/tune-evidence.js';
import { fmtUs } from './format.js';
import { escapeHtml as e } from './html-escape.js';
import { cpuPerReadUs, priceText } from './tune-price.js';

// A tune run's price in HTML: each change's gain and price, and each grid as latency against CPU cost.

const W = 560;
const H = 300;
const M = { left: 56, right: 24, top: 16, bottom: 48 };
const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

/** The cost a grid is drawn against: the idle polling share where measured, else the busy share during the reads. */
function costOf(g: GridPoint, byIdle: boolean): number | null {
  return byIdle ? (g.idlePollShare ?? null) : (g.cpu?.busyShare ?? null);
}

/**
 * One grid as a scatter: x the CPU cost (share of a vCPU), y the median p50; the kept value ringed,
 * values over the cap hollow. `<circle class="grid-point" data-value=… data-chosen=…>` for tests.
 */
export function gridCostSvg(c: ChangeResult): string {
  const grid = c.grid ?? [];
  const byIdle = c.gridChoice ? c.gridChoice.costBy === 'idle-poll-share' : grid.some((g) => g.idlePollShare != null);
  const pts = grid.map((g) => ({ g, x: costOf(g, byIdle), y: g.medianP50Us })).filter((p): p is { g: GridPoint; x: number; y: number } => p.x !== null);
  if (pts.length < 2) return '';
  const xHi = Math.max(...pts.map((p) => p.x), 0.01) * 1.15;
  const yLo = Math.min(...pts.map((p) => p.y)) * 0.9;
  const yHi = Math.max(...pts.map((p) => p.y)) * 1.08;
  const X = (v: number) => M.left + (v / xHi) * (W - M.left - M.right);
  const Y = (v: number) => H - M.bottom - ((v - yLo) / (yHi - yLo || 1)) * (H - M.top - M.bottom);
  const excluded = new Set((c.gridChoice?.excluded ?? []).map((x) => String(x.value)));
  const parts: string[] = [];
  parts.push(`<svg class="grid-cost" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${e(`${c.target}: p50 against CPU cost`)}">`);
  parts.push(
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#999"/><line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#999"/>`,
  );
  for (let i = 0; i <= 4; i++) {
    const xv = (xHi * i) / 4;
    const yv = yLo + ((yHi - yLo) * i) / 4;
    parts.push(`<text x="${X(xv).toFixed(1)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${e(pct(xv))}</text>`);
    parts.push(`<text x="${M.left - 6}" y="${(Y(yv) + 4).toFixed(1)}" font-size="11" text-anchor="end">${e(fmtUs(yv))}</text>`);
  }
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">${e(byIdle ? 'idle polling (share of a vCPU)' : 'vCPUs busy during the reads')}</text>`);
  parts.push(`<text x="14" y="${(M.top + H - M.bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">median p50 µs</text>`);
  const cap = c.gridChoice?.maxIdlePollShare;
  if (byIdle && cap != null && cap <= xHi)
    parts.push(
      `<line class="grid-cap" x1="${X(cap).toFixed(1)}" y1="${M.top}" x2="${X(cap).toFixed(1)}" y2="${H - M.bottom}" stroke="#c62828" stroke-dasharray="4 3"/><text x="${(X(cap) + 4).toFixed(1)}" y="${M.top + 10}" font-size="11" fill="#c62828">cap ${e(pct(cap))}</text>`,
    );
  for (const p of pts) {
    const chosen = c.to !== null && String(p.g.value) === String(c.to);
    const over = excluded.has(String(p.g.value));
    const fill = over ? 'none' : chosen ? '#2e7d32' : '#1565c0';
    parts.push(
      `<circle class="grid-point" data-value="${e(p.g.value)}" data-chosen="${chosen}" cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="${chosen ? 7 : 5}" fill="${fill}" stroke="${over ? '#c62828' : fill}" stroke-width="2"/>`,
      `<text x="${(X(p.x) + 9).toFixed(1)}" y="${(Y(p.y) - 6).toFixed(1)}" font-size="11">${e(p.g.value)}${chosen ? ` (${e(c.decision)})` : ''}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Each grid's table (latency and cost, the kept value marked) and chart; each decision's price. */
export function tuneCostSection(changes: ChangeResult[]): string[] {
  const out: string[] = [];
  const priced = changes.map((c) => ({ c, price: priceText(c) })).filter((x) => x.price !== null);
  if (priced.length)
    out.push(`<h3>What each change costs</h3><ul class="prices">${priced.map(({ c, price }) => `<li><code>${e(c.target)}</code> (${e(c.decision)}): ${e(price)}</li>`).join('')}</ul>`);
  for (const c of changes.filter((x) => x.grid?.length)) {
    out.push(`<h3>${e(c.target)}: latency against CPU cost</h3>`);
    out.push(
      `<table class="grid"><tr><th>value</th><th>median p50 µs</th><th>idle polling</th><th>vCPUs busy during the reads</th><th>nvprobe CPU µs per read</th><th></th></tr>${c
        .grid!.map((g) => {
          const chosen = c.to !== null && String(g.value) === String(c.to);
          const per = cpuPerReadUs(g.cpu);
          return `<tr${chosen ? ' class="chosen"' : ''}><td>${e(g.value)}</td><td class="num">${e(fmtUs(g.medianP50Us))}</td><td class="num">${g.idlePollShare == null ? '-' : e(pct(g.idlePollShare))}</td><td class="num">${g.cpu ? e(pct(g.cpu.busyShare)) : '-'}</td><td class="num">${per === null ? '-' : e(per.toFixed(2))}</td><td>${chosen ? `<span class="${e(c.decision)}">${e(c.decision)}</span>` : ''}</td></tr>`;
        })
        .join('')}</table>`,
    );
    out.push(gridCostSvg(c));
  }
  return out;
}
