/**
 * Delivery callbacks (PROTOCOL-INTEGRATIONS §21) as a kind the kit knows: how the CRM calls each action (method,
 * form field, input schema, answer schema) and the typed handlers a module declares in `callbacks.delivery`.
 * The action's paths land in `integrations.delivery.actions` of every registration.
 * @module
 */
import type { z } from 'zod';
import {
  DeliveryCalculateRequest,
  DeliveryCalculateResult,
  DeliveryDeleteRequest,
  DeliveryGetRequest,
  DeliveryGetResult,
  DeliveryPrintRequest,
  DeliverySaveRequest,
  DeliverySaveResult,
  DeliveryShipmentDeleteRequest,
  DeliveryShipmentPointListRequest,
  DeliveryShipmentPointListResult,
  DeliveryShipmentSaveRequest,
  DeliveryShipmentSaveResult,
  DeliveryTariffListRequest,
  DeliveryTariffListResult,
} from '../protocol/index.js';
import type { CallbackContext, CallbackFile } from './declaration.js';
import type { CallbackKind } from './kinds.js';

const post = (field: string, input: z.ZodType, output?: z.ZodType): CallbackKind =>
  Object.freeze({ method: 'POST', field, input, output, whenInactive: false });
/** GET actions read plain query fields (§21.1), not a JSON field. */
const get = (input: z.ZodType, output: z.ZodType): CallbackKind => Object.freeze({ method: 'GET', field: null, input, output, whenInactive: false });

/** §20.3.1, §21.1: each action's method, its field, and the shapes both sides check. */
export const DELIVERY_KINDS = Object.freeze({
  calculate: post('calculate', DeliveryCalculateRequest, DeliveryCalculateResult),
  save: post('save', DeliverySaveRequest, DeliverySaveResult),
  get: get(DeliveryGetRequest, DeliveryGetResult),
  delete: post('delete', DeliveryDeleteRequest),
  // A file on success (`CallbackFile`), so no JSON result to check.
  print: post('print', DeliveryPrintRequest),
  shipmentSave: post('shipmentSave', DeliveryShipmentSaveRequest, DeliveryShipmentSaveResult),
  shipmentDelete: post('shipmentDelete', DeliveryShipmentDeleteRequest),
  shipmentPointList: get(DeliveryShipmentPointListRequest, DeliveryShipmentPointListResult),
  tariffList: get(DeliveryTariffListRequest, DeliveryTariffListResult),
});

type Awaitable<T> = T | Promise<T>;

/** A known action's declaration: the kit brings the schemas; the module brings the handler (and may move the path). */
export interface KnownCallback<Input extends z.ZodType, Answer> {
  /** Path under `baseUrl`. Default `/callback/<group>/<action>`. */
  readonly path?: string;
  /** How long the CRM is assumed to wait. Default 10 s. */
  readonly timeoutMs?: number;
  handle(context: CallbackContext<z.output<Input>>): Awaitable<Answer>;
}

/** `callbacks.delivery`: one handler per action the carrier supports; only those are registered. */
export interface DeliveryCallbacks {
  /** Tariffs and prices for an order (§21.3). */
  readonly calculate?: KnownCallback<typeof DeliveryCalculateRequest, z.input<typeof DeliveryCalculateResult>>;
  /** Register (no `deliveryId`) or update a delivery (§21.4). */
  readonly save?: KnownCallback<typeof DeliverySaveRequest, z.input<typeof DeliverySaveResult>>;
  readonly get?: KnownCallback<typeof DeliveryGetRequest, z.input<typeof DeliveryGetResult>>;
  readonly delete?: KnownCallback<typeof DeliveryDeleteRequest, void>;
  /** Answer with a `CallbackFile` (a PDF, or a zip of several). */
  readonly print?: KnownCallback<typeof DeliveryPrintRequest, CallbackFile>;
  readonly shipmentSave?: KnownCallback<typeof DeliveryShipmentSaveRequest, z.input<typeof DeliveryShipmentSaveResult>>;
  readonly shipmentDelete?: KnownCallback<typeof DeliveryShipmentDeleteRequest, void>;
  readonly shipmentPointList?: KnownCallback<typeof DeliveryShipmentPointListRequest, z.input<typeof DeliveryShipmentPointListResult>>;
  readonly tariffList?: KnownCallback<typeof DeliveryTariffListRequest, z.input<typeof DeliveryTariffListResult>>;
}
