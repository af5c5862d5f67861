/**
 * Test helpers for module authors (`retailcrm-module-kit/testing`): a CRM emulator and your module on one
 * machine with the steps the CRM and a person take, a cookie-keeping browser stand-in, and the conformance
 * battery for a store adapter of your own.
 * @module
 */
// First, so a project on zod 3 is told so before any schema is built.
import '../zod-version.js';
export {
  startTestbed,
  type ConnectAttempt,
  type ConnectOptions,
  type SettingValue,
  type Testbed,
  type TestbedOptions,
} from './testbed.js';
export { FormClient, alertText, encodeForm, fieldErrors, formFields, inputValue, type FormFields, type FormResponse } from './form-client.js';
export { describeConnectionStore, sampleConnectInput, type ConnectionStoreCapabilities } from './store-battery.js';
