/**
 * The jobs section of the settings page: for each declared job, its status, last and next run and last error,
 * in the page's language. The texts live here (not in the shared catalog) because only this panel uses them.
 * @module
 */
import { html, type SafeHtml } from '../html/html.js';
import type { Locale } from '../i18n/index.js';
import type { Connection } from '../store/types.js';
import type { JobStatus } from './state.js';
import type { JobRunner } from './runner.js';

const TEXT = {
  en: {
    heading: 'Background jobs', job: 'Job', status: 'Status', lastRun: 'Last run', nextRun: 'Next run', lastError: 'Last error', never: '—',
    status_idle: 'waiting', status_queued: 'queued', status_running: 'running', status_ok: 'succeeded', status_retrying: 'failed, will retry',
    status_dead: 'stopped after repeated failures (contact the module’s developer)',
  },
  ru: {
    heading: 'Фоновые задачи', job: 'Задача', status: 'Состояние', lastRun: 'Последний запуск', nextRun: 'Следующий запуск', lastError: 'Последняя ошибка', never: '—',
    status_idle: 'ожидает', status_queued: 'в очереди', status_running: 'выполняется', status_ok: 'выполнена', status_retrying: 'ошибка, будет повтор',
    status_dead: 'остановлена после повторных ошибок (свяжитесь с разработчиком модуля)',
  },
  es: {
    heading: 'Tareas en segundo plano', job: 'Tarea', status: 'Estado', lastRun: 'Última ejecución', nextRun: 'Próxima ejecución', lastError: 'Último error', never: '—',
    status_idle: 'en espera', status_queued: 'en cola', status_running: 'en curso', status_ok: 'completada', status_retrying: 'falló, se reintentará',
    status_dead: 'detenida tras fallos repetidos (contacte con el desarrollador del módulo)',
  },
} as const satisfies Record<Locale, Record<string, string>>;

const when = (date: Date | null, never: string) => (date ? html`<time datetime="${date.toISOString()}">${date.toISOString().replace('T', ' ').slice(0, 19)} UTC</time>` : never);

/** A settings-page panel (`moduleHost`'s `settingsPanels`) listing the connection's jobs. */
export function jobsPanel(runner: Pick<JobRunner, 'status'>, jobNames: readonly string[]) {
  return async (connection: Connection, locale: Locale): Promise<SafeHtml> => {
    if (jobNames.length === 0) return html``;
    const t = TEXT[locale] ?? TEXT.en;
    const states = new Map((await runner.status({ connectionId: connection.id })).map((s) => [s.job, s]));
    return html`<h2>${t.heading}</h2>
<table class="jobs" data-jobs><thead><tr><th>${t.job}</th><th>${t.status}</th><th>${t.lastRun}</th><th>${t.nextRun}</th><th>${t.lastError}</th></tr></thead><tbody>${jobNames.map((name) => {
      const state = states.get(name);
      const status: JobStatus = state?.status ?? 'idle';
      return html`<tr data-job="${name}" data-status="${status}"><td>${name}</td><td>${t[`status_${status}`]}</td><td>${when(state?.lastRunAt ?? null, t.never)}</td><td>${when(state?.nextRunAt ?? null, t.never)}</td><td>${state?.lastError ?? t.never}</td></tr>`;
    })}</tbody></table>`;
  };
}
