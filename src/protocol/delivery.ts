/**
 * Delivery modules on the wire (PROTOCOL-INTEGRATIONS §20.3, §21): the configuration a module registers, what
 * the CRM sends each delivery callback, what the module answers, and the tracking push back. One set of schemas
 * for both sides: the kit parses the CRM's requests and checks its module's answers with them, the emulator
 * builds requests and refuses answers with them.
 *
 * Requests are loose (the CRM sends more than any source names, and it must survive); answers are checked field
 * by field, so a module that passes the emulator answers in the CRM's shape.
 * @module
 */
import { z } from 'zod';
import { successEnvelope } from './envelope.js';

// ---------------------------------------------------------------- shared objects (§21.2)

/** `Y-m-d`; `Y-m-d H:i:s` is read too (§21.14: the vendor's clients disagree, modules accept both). */
export const DeliveryDate = z.string().regex(/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/, 'expected Y-m-d');
/** ISO 8601 with an offset, as status `updatedAt` is everywhere (§21.14). */
export const IsoDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/, 'expected ISO 8601 with an offset');
const Hhmm = z.string().regex(/^\d{2}:\d{2}$/, 'expected H:i');
const ExtraData = z.record(z.string(), z.unknown());

export const DeliveryAddress = z.looseObject({
  index: z.string().optional(),
  countryIso: z.string().optional(),
  region: z.string().optional(),
  regionId: z.number().int().optional(),
  city: z.string().optional(),
  cityId: z.number().int().optional(),
  cityType: z.string().optional(),
  street: z.string().optional(),
  streetId: z.number().int().optional(),
  streetType: z.string().optional(),
  building: z.string().optional(),
  house: z.string().optional(),
  housing: z.string().optional(),
  block: z.number().int().optional(),
  flat: z.string().optional(),
  floor: z.number().int().optional(),
  metro: z.string().optional(),
  notes: z.string().optional(),
  text: z.string().optional(),
  terminal: z.string().optional(),
});
export type DeliveryAddress = z.infer<typeof DeliveryAddress>;

export const PackageItem = z.looseObject({
  offerId: z.string().optional(),
  externalId: z.string().optional(),
  xmlId: z.string().optional(),
  name: z.string().optional(),
  declaredValue: z.number().optional(),
  cod: z.number().optional(),
  vatRate: z.string().optional(),
  quantity: z.number().optional(),
  unit: z.looseObject({ code: z.string().optional(), name: z.string().optional(), sym: z.string().optional() }).optional(),
  cost: z.number().optional(),
  weight: z.number().optional(),
  markingCodes: z.array(z.string()).optional(),
  properties: ExtraData.optional(),
});
export type PackageItem = z.infer<typeof PackageItem>;

/** Weight in grams; width, length, height in millimetres (§21.2). */
export const DeliveryPackage = z.looseObject({
  packageId: z.string().optional(),
  weight: z.number().optional(),
  width: z.number().optional(),
  length: z.number().optional(),
  height: z.number().optional(),
  items: z.array(PackageItem).optional(),
});
export type DeliveryPackage = z.infer<typeof DeliveryPackage>;

export const TimeInterval = z.looseObject({ from: Hhmm.optional(), to: Hhmm.optional(), custom: z.string().optional() });
export type TimeInterval = z.infer<typeof TimeInterval>;

/** A pick-up or shipment point. */
export const Terminal = z.object({
  code: z.string().min(1),
  cost: z.number().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  address: z.string().optional(),
  schedule: z.string().optional(),
  phone: z.string().optional(),
  extraData: ExtraData.optional(),
  coordinates: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
});
export type Terminal = z.infer<typeof Terminal>;

export const StatusInfo = z.object({ code: z.string().min(1), updatedAt: IsoDateTime, comment: z.string().optional() });
export type StatusInfo = z.infer<typeof StatusInfo>;

export const DeliveryManager = z.looseObject({
  id: z.number().int().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  patronymic: z.string().optional(),
  phone: z.string().optional(),
  email: z.string().optional(),
});

/** The customer in `save`: phones are plain strings here, unlike the customers API (§21.2). */
export const DeliveryCustomer = z.looseObject({
  id: z.number().int().optional(),
  externalId: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  patronymic: z.string().optional(),
  email: z.string().optional(),
  phones: z.array(z.string()).optional(),
  contragent: z.looseObject({ contragentType: z.string().optional(), type: z.string().optional(), legalName: z.string().optional() }).optional(),
});

const PayerType = z.enum(['receiver', 'sender']);
export type PayerType = z.infer<typeof PayerType>;
const TariffType = z.enum(['courier', 'selfDelivery']);

// ---------------------------------------------------------------- configuration (§20.3)

export const DeliveryStatus = z.object({
  code: z.string().min(1),
  name: z.string().min(1),
  isEditable: z.boolean().optional(),
  isError: z.boolean().optional(),
  isPreprocessing: z.boolean().optional(),
});
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const DeliveryPlate = z.object({ type: z.enum(['order', 'shipment']).optional(), code: z.string().min(1), label: z.string().min(1) });
export type DeliveryPlate = z.infer<typeof DeliveryPlate>;

/** `choices` as `{value, label}[]` (the form we send) or a value→label map (§26 #27: accept both). */
export const DeliveryDataField = z.object({
  code: z.string().min(1),
  label: z.string().min(1),
  hint: z.string().optional(),
  type: z.enum(['integer', 'text', 'autocomplete', 'checkbox', 'choice', 'date']),
  multiple: z.boolean().optional(),
  choices: z.union([z.array(z.object({ value: z.string(), label: z.string() })), z.record(z.string(), z.string())]).optional(),
  autocompleteUrl: z.string().optional(),
  allowedEmptyTerm: z.boolean().optional(),
  visible: z.boolean().optional(),
  required: z.boolean().optional(),
  affectsCost: z.boolean().optional(),
  editable: z.boolean().optional(),
});
export type DeliveryDataField = z.infer<typeof DeliveryDataField>;

export const DeliverySettings = z.looseObject({
  defaultPayerType: PayerType.optional(),
  costCalculateBy: z.enum(['auto', 'manual']).optional(),
  nullDeclaredValue: z.boolean().optional(),
  lockedByDefault: z.boolean().optional(),
  paymentTypes: z.array(z.object({ code: z.string(), active: z.boolean().optional(), cod: z.boolean().optional() })).optional(),
  shipmentPoints: z.array(z.object({ code: z.string(), shipmentPointId: z.string(), shipmentPointLabel: z.string().optional() })).optional(),
  /** CRM order-status code ↔ the service's status code. */
  statuses: z.array(z.object({ code: z.string(), trackingStatusCode: z.string() })).optional(),
  deliveryExtraData: ExtraData.optional(),
  shipmentExtraData: ExtraData.optional(),
});
export type DeliverySettings = z.infer<typeof DeliverySettings>;

/** Delivery callback names (§20.3.1). */
export const DELIVERY_ACTIONS = ['calculate', 'save', 'get', 'delete', 'print', 'shipmentSave', 'shipmentDelete', 'shipmentPointList', 'tariffList'] as const;
export type DeliveryAction = (typeof DELIVERY_ACTIONS)[number];

/** `integrationModule.integrations.delivery` (§20.3); `actions` is filled in from the declared callbacks. */
export const DeliveryConfiguration = z.object({
  description: z.string().optional(),
  actions: z.record(z.string(), z.string().min(1)).optional(),
  payerType: z.array(PayerType).optional(),
  platePrintLimit: z.number().int().positive().optional(),
  rateDeliveryCost: z.boolean().optional(),
  allowPackages: z.boolean().optional(),
  codAvailable: z.boolean().optional(),
  selfShipmentAvailable: z.boolean().optional(),
  duplicateOrderProductSupported: z.boolean().optional(),
  allowTrackNumber: z.boolean().optional(),
  availableCountries: z.array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2 code')).optional(),
  requiredFields: z.array(z.string().min(1)).optional(),
  statusList: z.array(DeliveryStatus).optional(),
  plateList: z.array(DeliveryPlate).optional(),
  deliveryDataFieldList: z.array(DeliveryDataField).optional(),
  shipmentDataFieldList: z.array(DeliveryDataField).optional(),
  settings: DeliverySettings.optional(),
});
export type DeliveryConfiguration = z.input<typeof DeliveryConfiguration>;

// ---------------------------------------------------------------- calculate (§21.3)

export const DeliveryCalculateRequest = z.looseObject({
  shipmentAddress: DeliveryAddress.optional(),
  deliveryAddress: DeliveryAddress.optional(),
  store: z.looseObject({ code: z.string().optional(), name: z.string().optional() }).optional(),
  packages: z.array(DeliveryPackage).optional(),
  declaredValue: z.number().optional(),
  cod: z.number().optional(),
  payerType: PayerType.optional(),
  shipmentDate: DeliveryDate.optional(),
  deliveryDate: DeliveryDate.optional(),
  deliveryTime: TimeInterval.optional(),
  currency: z.string().optional(),
  extraData: ExtraData.optional(),
});
export type DeliveryCalculateRequest = z.infer<typeof DeliveryCalculateRequest>;

export const Tariff = z.object({
  code: z.string().min(1),
  group: z.string().optional(),
  name: z.string().min(1),
  type: TariffType.optional(),
  description: z.string().optional(),
  cost: z.number().nonnegative().optional(),
  minTerm: z.number().int().nonnegative().optional(),
  maxTerm: z.number().int().nonnegative().optional(),
  extraData: ExtraData.optional(),
  extraDataAvailable: z.array(z.unknown()).optional(),
  pickuppointList: z.array(Terminal).optional(),
});
export type Tariff = z.infer<typeof Tariff>;
export const DeliveryCalculateResult = z.array(Tariff);

// ---------------------------------------------------------------- save (§21.4)

export const SaveDeliveryData = z.looseObject({
  shipmentAddress: DeliveryAddress.optional(),
  deliveryAddress: DeliveryAddress.optional(),
  withCod: z.boolean().optional(),
  cod: z.number().optional(),
  codPaymentType: z.looseObject({ code: z.string().optional(), name: z.string().optional() }).optional(),
  cost: z.number().optional(),
  vatRate: z.union([z.string(), z.number()]).optional(),
  tariff: z.string().optional(),
  payerType: PayerType.optional(),
  shipmentDate: DeliveryDate.optional(),
  deliveryDate: DeliveryDate.optional(),
  deliveryTime: TimeInterval.optional(),
  extraData: ExtraData.optional(),
});

export const DeliverySaveRequest = z.looseObject({
  deliveryId: z.string().optional(),
  order: z.string().optional(),
  orderNumber: z.string().optional(),
  site: z.string().optional(),
  siteName: z.string().optional(),
  store: z.looseObject({ code: z.string().optional(), name: z.string().optional() }).optional(),
  legalEntity: z.string().optional(),
  customer: DeliveryCustomer.optional(),
  manager: DeliveryManager.optional(),
  packages: z.array(DeliveryPackage).optional(),
  /** Required: the delivery-bundle refuses a `save` without it. */
  delivery: SaveDeliveryData,
  currency: z.string().optional(),
});
export type DeliverySaveRequest = z.infer<typeof DeliverySaveRequest>;

export const DeliverySaveResult = z.object({
  /** The key of get, delete, print and tracking. */
  deliveryId: z.string().min(1),
  trackNumber: z.string().optional(),
  cost: z.number().nonnegative().optional(),
  status: z.string().optional(),
  extraData: ExtraData.optional(),
});
export type DeliverySaveResult = z.infer<typeof DeliverySaveResult>;

// ---------------------------------------------------------------- get, delete, print (§21.5–§21.7)

/** GET query fields (minus `clientId`). */
export const DeliveryGetRequest = z.looseObject({ deliveryId: z.string().min(1) });
export type DeliveryGetRequest = z.infer<typeof DeliveryGetRequest>;

export const DeliveryGetResult = z.object({
  trackNumber: z.string().optional(),
  cost: z.number().nonnegative().optional(),
  shipmentDate: DeliveryDate.optional(),
  deliveryDate: DeliveryDate.optional(),
  deliveryTime: TimeInterval.optional(),
  tariff: z.string().optional(),
  tariffName: z.string().optional(),
  payerType: PayerType.optional(),
  status: StatusInfo.optional(),
  extraData: ExtraData.optional(),
  shipmentAddress: DeliveryAddress.optional(),
  deliveryAddress: DeliveryAddress.optional(),
});
export type DeliveryGetResult = z.infer<typeof DeliveryGetResult>;

export const DeliveryDeleteRequest = z.looseObject({ deliveryId: z.string().min(1) });
export type DeliveryDeleteRequest = z.infer<typeof DeliveryDeleteRequest>;

/** `deliveryIds` flat, or nested one level as servientrega reads it (§26 #9): flattened either way. */
export const DeliveryPrintRequest = z.looseObject({
  entityType: z.enum(['order', 'shipment']).optional(),
  type: z.string().min(1),
  deliveryIds: z.array(z.union([z.string(), z.array(z.string())])).min(1).transform((ids) => ids.flat()),
});
export type DeliveryPrintRequest = z.output<typeof DeliveryPrintRequest>;

// ---------------------------------------------------------------- shipments, points (§21.8–§21.10)

export const DeliveryShipmentSaveRequest = z.looseObject({
  shipmentId: z.string().optional(),
  manager: DeliveryManager.optional(),
  date: DeliveryDate.optional(),
  time: TimeInterval.optional(),
  address: DeliveryAddress.optional(),
  store: z.string().optional(),
  orders: z.array(z.looseObject({ deliveryId: z.string().min(1), packages: z.array(DeliveryPackage).optional() })).min(1),
  comment: z.string().optional(),
  extraData: ExtraData.optional(),
});
export type DeliveryShipmentSaveRequest = z.infer<typeof DeliveryShipmentSaveRequest>;
/** An object, as php and the bundle have it (§26 #11). */
export const DeliveryShipmentSaveResult = z.object({ shipmentId: z.string().min(1), extraData: z.record(z.string(), z.string()).optional() });
export type DeliveryShipmentSaveResult = z.infer<typeof DeliveryShipmentSaveResult>;

export const DeliveryShipmentDeleteRequest = z.looseObject({ shipmentId: z.string().min(1), extraData: ExtraData.optional() });
export type DeliveryShipmentDeleteRequest = z.infer<typeof DeliveryShipmentDeleteRequest>;

/** GET query fields; numbers arrive as text. `code` is ignored (§26 #13). */
export const DeliveryShipmentPointListRequest = z.looseObject({
  country: z.string().optional(),
  region: z.string().optional(),
  regionId: z.coerce.number().int().optional(),
  city: z.string().optional(),
  cityId: z.coerce.number().int().optional(),
});
export type DeliveryShipmentPointListRequest = z.infer<typeof DeliveryShipmentPointListRequest>;
export const DeliveryShipmentPointListResult = z.array(Terminal);

export const DeliveryTariffListRequest = z.looseObject({});
export const DeliveryTariffListResult = z.array(z.object({ code: z.string().min(1), name: z.string().min(1), description: z.string().optional(), type: TariffType.optional() }));

// ---------------------------------------------------------------- tracking, module → CRM (§21.12)

export const StatusUpdate = z.object({
  deliveryId: z.string().min(1),
  trackNumber: z.string().optional(),
  cost: z.number().nonnegative().optional(),
  history: z.array(StatusInfo).optional(),
  extraData: z.record(z.string(), z.string()).optional(),
});
export type StatusUpdate = z.input<typeof StatusUpdate>;
/** Both vendor modules send at most 100 per call; the client splits longer lists. */
export const TRACKING_BATCH_LIMIT = 100;
export const DeliveryTrackingRequest = z.array(StatusUpdate).min(1).max(TRACKING_BATCH_LIMIT);
export const DeliveryTrackingResponse = successEnvelope({});
