/**
 * Example: "Toy carrier", a delivery service module. Built only with the package's public API.
 *
 * What it shows:
 * - `integrations.delivery`: the carrier's configuration (payers, statuses, a printable label);
 * - `callbacks.delivery`: typed handlers for calculate (a tariff table by weight), save, get, delete, print,
 *   a pick-up request and pick-up points;
 * - settings that map the carrier's statuses to the account's order statuses;
 * - a tracking "job": a button on the settings page moves every parcel one status on and pushes the statuses
 *   to the CRM with `crm.delivery.tracking` (a real carrier would poll its own API on a schedule).
 */
import { z } from 'zod';
import { CallbackError, CallbackFile, defineModule, deliveryStatusMapping, ErrorCode, errorMessage, html, type Locale, type StatusUpdate } from 'retailcrm-module-kit';

export const CARRIER_CODE = 'demo-toy-carrier';

const STATUSES = [
  { code: 'created', name: 'Registered', isEditable: true },
  { code: 'in-transit', name: 'In transit' },
  { code: 'delivered', name: 'Delivered' },
  { code: 'lost', name: 'Lost', isError: true },
] as const;
const NEXT: Readonly<Record<string, string>> = { created: 'in-transit', 'in-transit': 'delivered' };

/** Price per tariff: a base plus a price per started kilogram. */
const TARIFFS = [
  { code: 'express', name: 'Express courier', type: 'courier', base: 9, perKg: 1.5, minTerm: 1, maxTerm: 1 },
  { code: 'standard', name: 'Standard courier', type: 'courier', base: 5, perKg: 1, minTerm: 2, maxTerm: 4 },
  { code: 'pickup', name: 'Pick-up point', type: 'selfDelivery', base: 3, perKg: 0.5, minTerm: 3, maxTerm: 5 },
] as const;
const POINTS = [{ code: 'KIOSK-1', name: 'Kiosk on the square', address: 'Main square 1', schedule: 'Mo-Sa 09:00-20:00' }];

const mapping = deliveryStatusMapping(STATUSES);

interface Parcel {
  readonly connectionId: string;
  readonly trackNumber: string;
  tariff: string;
  cost: number;
  status: string;
  history: { code: string; updatedAt: string }[];
}

/** Refusals the person sees on the order, in the account's language (`locale` of the handler). */
const REFUSAL = {
  tooHeavy: { en: 'Parcels over 30 kg are not carried', ru: 'Посылки тяжелее 30 кг не принимаются', es: 'No se aceptan paquetes de más de 30 kg' },
  unknown: { en: 'No such parcel', ru: 'Такой посылки нет', es: 'No existe ese paquete' },
  onItsWay: { en: 'The parcel is on its way and cannot be changed', ru: 'Посылка уже в пути, её нельзя изменить', es: 'El paquete ya está en camino y no se puede cambiar' },
} as const satisfies Record<string, Record<Locale, string>>;

const TEXT = {
  heading: { en: 'Parcels', ru: 'Посылки', es: 'Paquetes' },
  advance: { en: 'Move parcels on (tracking)', ru: 'Продвинуть посылки (трекинг)', es: 'Avanzar los paquetes (seguimiento)' },
  none: { en: 'No parcel yet.', ru: 'Посылок пока нет.', es: 'Aún no hay paquetes.' },
} as const satisfies Record<string, Record<Locale, string>>;

/** A one-page PDF with one line of text: enough for a label to open in a viewer. */
function labelPdf(lines: readonly string[]): Uint8Array {
  const text = lines.map((line, index) => `BT /F1 14 Tf 40 ${760 - index * 24} Td (${line.replace(/[()\\]/g, '')}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(pdf);
}

export function carrierModule(baseUrl: string) {
  // In memory for the demo; a real carrier keeps these at its own service.
  const parcels = new Map<string, Parcel>();
  let sequence = 0;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, '+00:00');

  return defineModule({
    integrationCode: CARRIER_CODE,
    name: { en: 'Toy carrier (demo)', ru: 'Игрушечная доставка (демо)', es: 'Transportista de juguete (demo)' },
    logo: `${baseUrl.replace(/\/+$/, '')}/logo.svg`,
    baseUrl,
    scopes: ['delivery_read', 'delivery_write', 'order_read'],
    settings: {
      schema: z.object({ ...mapping.shape }),
      fields: { ...mapping.fields },
    },
    integrations: (settings) => ({
      delivery: {
        description: 'Toy carrier: tariffs by weight, a label, tracking',
        payerType: ['receiver', 'sender'],
        rateDeliveryCost: true,
        allowTrackNumber: true,
        platePrintLimit: 50,
        statusList: [...STATUSES],
        plateList: [{ type: 'order', code: 'label', label: 'Parcel label' }],
        settings: { statuses: mapping.statuses(settings) },
      },
    }),
    callbacks: {
      delivery: {
        calculate: {
          handle({ input, locale }) {
            const grams = (input.packages ?? []).reduce((sum, p) => sum + (p.weight ?? 0), 0);
            if (grams > 30_000) throw new CallbackError(REFUSAL.tooHeavy[locale]);
            const kilos = Math.max(1, Math.ceil(grams / 1000));
            return TARIFFS.map((t) => ({
              code: t.code,
              name: t.name,
              type: t.type,
              cost: Math.round((t.base + t.perKg * kilos) * 100) / 100,
              minTerm: t.minTerm,
              maxTerm: t.maxTerm,
              ...(t.type === 'selfDelivery' ? { pickuppointList: POINTS } : {}),
            }));
          },
        },
        save: {
          handle({ input, connection, locale }) {
            const tariff = TARIFFS.find((t) => t.code === input.delivery.tariff) ?? TARIFFS[1];
            const existing = input.deliveryId === undefined ? undefined : parcels.get(input.deliveryId);
            if (input.deliveryId !== undefined && existing === undefined) throw new CallbackError(REFUSAL.unknown[locale], 404);
            if (existing !== undefined && existing.status !== 'created') throw new CallbackError(REFUSAL.onItsWay[locale], 409);
            const deliveryId = input.deliveryId ?? `TC-${String(++sequence).padStart(6, '0')}`;
            const parcel: Parcel = existing ?? { connectionId: connection.id, trackNumber: `TC${Date.now().toString(36).toUpperCase()}${sequence}`, tariff: tariff.code, cost: 0, status: 'created', history: [{ code: 'created', updatedAt: now() }] };
            parcel.tariff = tariff.code;
            parcel.cost = input.delivery.cost ?? tariff.base;
            parcels.set(deliveryId, parcel);
            return { deliveryId, trackNumber: parcel.trackNumber, cost: parcel.cost, status: parcel.status };
          },
        },
        get: {
          handle({ input, locale }) {
            const parcel = parcels.get(input.deliveryId);
            if (!parcel) throw new CallbackError(REFUSAL.unknown[locale], 404);
            const last = parcel.history.at(-1);
            return { trackNumber: parcel.trackNumber, cost: parcel.cost, tariff: parcel.tariff, ...(last ? { status: last } : {}) };
          },
        },
        delete: {
          handle({ input, locale }) {
            const parcel = parcels.get(input.deliveryId);
            if (!parcel) throw new CallbackError(REFUSAL.unknown[locale], 404);
            if (parcel.status !== 'created') throw new CallbackError(REFUSAL.onItsWay[locale], 409);
            parcels.delete(input.deliveryId);
          },
        },
        print: {
          handle({ input, locale }) {
            const found = input.deliveryIds.map((id) => [id, parcels.get(id)] as const);
            if (found.some(([, parcel]) => !parcel)) throw new CallbackError(REFUSAL.unknown[locale], 404);
            return new CallbackFile('application/pdf', labelPdf(found.map(([id, parcel]) => `${id} ${parcel!.trackNumber} ${parcel!.tariff}`)), 'labels.pdf');
          },
        },
        shipmentSave: { handle: ({ input }) => ({ shipmentId: input.shipmentId ?? `PU-${String(++sequence)}` }) },
        shipmentDelete: { handle: () => undefined },
        shipmentPointList: { handle: () => POINTS },
      },
    },
    // The tracking run: every parcel of this connection moves one status on; the statuses go to the CRM.
    routes(app, tools) {
      app.post('/track', { preValidation: tools.csrfProtection }, async (request, reply) => {
        const lang = (request.body as { lang?: unknown } | undefined)?.lang;
        const locale = lang === 'ru' || lang === 'es' || lang === 'en' ? lang : undefined;
        const connection = await tools.sessionConnection(request);
        if (!connection) return reply.code(401).type('text/plain; charset=utf-8').send(errorMessage(locale ?? 'en', ErrorCode.SessionMissing));
        const updates: StatusUpdate[] = [];
        for (const [deliveryId, parcel] of parcels) {
          const next = parcel.connectionId === connection.id ? NEXT[parcel.status] : undefined;
          if (next === undefined) continue;
          parcel.status = next;
          parcel.history.push({ code: next, updatedAt: now() });
          updates.push({ deliveryId, trackNumber: parcel.trackNumber, history: parcel.history.slice(-1) });
        }
        if (updates.length > 0) await tools.crmOf(connection).delivery.tracking(connection.moduleCode, updates);
        return tools.backToSettings(reply, locale);
      });
    },
    settingsSection: ({ connection, locale, csrfField, at }) => {
      const rows = [...parcels].filter(([, p]) => p.connectionId === connection.id).map(
        ([id, p]) => html`<tr data-parcel="${id}"><td>${id}</td><td>${p.trackNumber}</td><td>${p.tariff}</td><td data-parcel-status>${p.status}</td></tr>`,
      );
      return html`<h2>${TEXT.heading[locale]}</h2>
<form method="post" action="${at('/track')}">${csrfField}<button type="submit" id="advance-tracking">${TEXT.advance[locale]}</button></form>
${rows.length === 0 ? html`<p>${TEXT.none[locale]}</p>` : html`<table id="parcels"><tbody>${rows}</tbody></table>`}`;
    },
  });
}

/** What `retailcrm-module-kit dev --module <file>` looks for in a module file. */
export const createModule = carrierModule;
export const logoSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect width="64" height="64" rx="14" fill="#e8812b"/><rect x="12" y="22" width="26" height="20" fill="#fff"/>
<path d="M38 28h8l6 7v7H38z" fill="#fff"/><circle cx="20" cy="46" r="4" fill="#333"/><circle cx="44" cy="46" r="4" fill="#333"/></svg>`;
export const description = 'A toy delivery service: tariffs by weight, labels, pick-up points and tracking.';
