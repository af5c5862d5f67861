/**
 * Small server-rendered SVG charts (no script, no external asset): the emulator's per-second request chart with
 * the rate limit drawn and the 503s it caused, and the settings page's sparkline of a connection's last day.
 * Every text is escaped by the `html` tag; every shape carries `data-*` attributes so tests can read the chart.
 * @module
 */
import { html, type SafeHtml } from '../html/html.js';
import type { Locale } from '../i18n/index.js';
import type { RecentActivity } from './telemetry.js';

export interface ChartRequest {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly status: number;
}

export interface RequestChartOptions {
  /** The budget per second to draw as a line. */
  readonly limitPerSecond: number | null;
  /** Seconds shown, ending with the newest request's second. Default 60. */
  readonly seconds?: number;
  readonly width?: number;
  readonly height?: number;
}

/** Requests per second, accepted ones and 503s stacked, with the rate limit as a dashed line. */
export function requestChartSvg(requests: readonly ChartRequest[], options: RequestChartOptions): SafeHtml {
  const seconds = options.seconds ?? 60;
  const width = options.width ?? 720;
  const height = options.height ?? 180;
  const pad = { left: 36, right: 8, top: 14, bottom: 22 };
  const last = requests.reduce((max, r) => Math.max(max, r.at), 0);
  const endSecond = Math.floor(last / 1000);
  const bins = Array.from({ length: seconds }, () => ({ ok: 0, limited: 0, other: 0 }));
  for (const r of requests) {
    const index = seconds - 1 - (endSecond - Math.floor(r.at / 1000));
    const bin = bins[index];
    if (!bin) continue;
    if (r.status === 503) bin.limited += 1;
    else if (r.status >= 200 && r.status < 500) bin.ok += 1;
    else bin.other += 1;
  }
  const peak = Math.max(options.limitPerSecond ?? 0, ...bins.map((b) => b.ok + b.limited + b.other), 1);
  const top = Math.ceil((peak * 1.15) / 5) * 5;
  const plotH = height - pad.top - pad.bottom;
  const plotW = width - pad.left - pad.right;
  const barW = plotW / seconds;
  const y = (value: number) => pad.top + plotH - (value / top) * plotH;
  const bars = bins.map((bin, i) => {
    const x = (pad.left + i * barW + 1).toFixed(1);
    const w = Math.max(barW - 2, 1).toFixed(1);
    let base = 0;
    const part = (count: number, kind: string, fill: string) => {
      if (count === 0) return '';
      const y0 = y(base);
      base += count;
      const y1 = y(base);
      return html`<rect x="${x}" y="${y1.toFixed(1)}" width="${w}" height="${(y0 - y1).toFixed(1)}" fill="${fill}" data-kind="${kind}" data-count="${count}" data-second="${i - seconds + 1}"><title>${count} ${kind}</title></rect>`;
    };
    return html`${part(bin.ok, 'accepted', '#4c78a8')}${part(bin.other, 'failed', '#f58518')}${part(bin.limited, 'rate-limited', '#d62728')}`;
  });
  const limit = options.limitPerSecond;
  const limitLine = limit
    ? html`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(limit).toFixed(1)}" y2="${y(limit).toFixed(1)}" stroke="#222" stroke-dasharray="5 4" data-limit="${limit}"/><text x="${width - pad.right}" y="${(y(limit) - 4).toFixed(1)}" text-anchor="end" font-size="11">limit ${limit}/s</text>`
    : '';
  const total503 = bins.reduce((s, b) => s + b.limited, 0);
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="request-chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" data-rate-limited="${total503}" aria-label="Requests per second over the last ${seconds} seconds; ${total503} answered 503">
<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>
<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${pad.top + plotH}" stroke="#999"/>
<line x1="${pad.left}" x2="${width - pad.right}" y1="${pad.top + plotH}" y2="${pad.top + plotH}" stroke="#999"/>
<text x="${pad.left - 4}" y="${pad.top + 4}" text-anchor="end" font-size="11">${top}</text><text x="${pad.left - 4}" y="${pad.top + plotH}" text-anchor="end" font-size="11">0</text>
<text x="${pad.left}" y="${height - 6}" font-size="11">−${seconds} s</text><text x="${width - pad.right}" y="${height - 6}" text-anchor="end" font-size="11">now</text>
${bars}${limitLine}</svg>`;
}

const SPARK_TEXT: Record<Locale, { title: string; callbacks: string; crm: string; summary: string }> = {
  en: { title: 'Last 24 hours', callbacks: 'Callbacks from the CRM', crm: 'Calls to the CRM', summary: '{total} in 24 h, {failed} failed' },
  ru: { title: 'За последние 24 часа', callbacks: 'Запросы от CRM', crm: 'Запросы к CRM', summary: '{total} за 24 ч, с ошибкой: {failed}' },
  es: { title: 'Últimas 24 horas', callbacks: 'Llamadas del CRM', crm: 'Llamadas al CRM', summary: '{total} en 24 h, {failed} fallidas' },
};

const ROW = { width: 560, height: 34, labelWidth: 190, barsWidth: 240 };

/** One row: the label, 24 hourly bars (failures in red over the total in blue), the day's totals. */
function sparkRow(series: RecentActivity['callbacks'], kind: string, label: string, summary: string, totals: { total: number; failed: number }): SafeHtml {
  const { width, height, labelWidth, barsWidth } = ROW;
  const peak = Math.max(1, ...series.map((b) => b.total));
  const barW = barsWidth / series.length;
  const bottom = height - 4;
  const scale = (n: number) => Math.max(2, (n / peak) * (bottom - 4));
  const bars = series.map((b, i) => {
    if (b.total === 0) return '';
    const x = (labelWidth + i * barW + 0.5).toFixed(1);
    const w = Math.max(barW - 1, 1).toFixed(1);
    const h = scale(b.total);
    const failed = b.failed === 0 ? '' : html`<rect x="${x}" y="${(bottom - scale(b.failed)).toFixed(1)}" width="${w}" height="${scale(b.failed).toFixed(1)}" fill="#d62728" data-failed="${b.failed}"/>`;
    return html`<rect x="${x}" y="${(bottom - h).toFixed(1)}" width="${w}" height="${h.toFixed(1)}" fill="#4c78a8" data-total="${b.total}"/>${failed}`;
  });
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" data-series="${kind}" data-total="${totals.total}" data-failed="${totals.failed}" role="img" aria-label="${label}: ${summary}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="13">
<text x="0" y="${bottom - 4}" fill="#1f2430">${label}</text>
<line x1="${labelWidth}" x2="${labelWidth + barsWidth}" y1="${bottom + 0.5}" y2="${bottom + 0.5}" stroke="#c5cad3"/>${bars}
<text x="${labelWidth + barsWidth + 10}" y="${bottom - 4}" fill="${totals.failed > 0 ? '#8e1b1b' : '#5b6475'}">${summary}</text></svg>`;
}

/** The settings page's slot: two sparklines (callbacks, CRM calls) with totals, or nothing without data. */
export function activitySparklines(activity: RecentActivity | undefined, locale: Locale): SafeHtml | undefined {
  if (!activity) return undefined;
  const t = SPARK_TEXT[locale];
  const row = (series: RecentActivity['callbacks'], kind: string, label: string) => {
    const totals = { total: series.reduce((s, b) => s + b.total, 0), failed: series.reduce((s, b) => s + b.failed, 0) };
    const summary = t.summary.replace('{total}', String(totals.total)).replace('{failed}', String(totals.failed));
    return sparkRow(series, kind, label, summary, totals);
  };
  return html`<section class="recent-activity" aria-label="${t.title}"><h2>${t.title}</h2>
${row(activity.callbacks, 'callbacks', t.callbacks)}
${row(activity.crmCalls, 'crm-calls', t.crm)}</section>`;
}
