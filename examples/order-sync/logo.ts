/** The example's logo: the CRM requires an SVG (PROTOCOL §6). */
export const ORDER_SYNC_LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect width="64" height="64" rx="14" fill="#2b6de8"/>
<path d="M18 24h28l-3 18H21z" fill="#fff"/><circle cx="25" cy="47" r="3" fill="#fff"/><circle cx="40" cy="47" r="3" fill="#fff"/>
<path d="M30 14l6 6-6 6" stroke="#fff" stroke-width="3" fill="none"/></svg>`;
