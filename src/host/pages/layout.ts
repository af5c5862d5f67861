/**
 * The frame of every module page: language, title, stylesheet, language switch. No script.
 */
import { html, type SafeHtml } from '../../html/html.js';
import { LOCALES, type Locale, translate } from '../../i18n/index.js';

export interface PageContext {
  readonly locale: Locale;
  /** The address of this page in another language (keeps the page's own query, e.g. `account`). */
  readonly langHref: (locale: Locale) => string;
  readonly cssHref: string;
}

export function layout(page: PageContext, title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="${page.cssHref}">
<link rel="icon" href="data:,">
</head>
<body>
<main>
<nav class="lang" aria-label="${translate(page.locale, 'page.language')}">${LOCALES.map(
    (locale) => html`<a href="${page.langHref(locale)}" lang="${locale}"${locale === page.locale ? html` aria-current="true"` : ''}>${locale.toUpperCase()}</a>`,
  )}</nav>
${body}
</main>
</body>
</html>`.toString();
}

/** A page that only says what went wrong and what to do. */
export function messagePage(page: PageContext, message: string): string {
  const title = translate(page.locale, 'page.errorTitle');
  return layout(page, title, html`<h1>${title}</h1><p class="alert error" role="alert">${message}</p>`);
}
