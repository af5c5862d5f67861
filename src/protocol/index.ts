/**
 * The wire protocol both sides share: schemas, types and constants. No I/O.
 * @module
 */
// First, so a project on zod 3 is told so before any schema is built.
import '../zod-version.js';
export * from './envelope.js';
export * from './scopes.js';
export * from './api.js';
export * from './integration-module.js';
export * from './callbacks.js';
export * from './paths.js';
export * from './localhost.js';
export * from './crm-resources.js';
export * from './query.js';
export * from './multipart.js';
export * from './delivery.js';
export * from './payment.js';
