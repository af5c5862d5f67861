/**
 * The connection flows of the module side, free of HTTP.
 * @module
 */
export { defineModule, localize, DEFAULT_PATHS, settingInput, settingOptions } from './module-definition.js';
export type {
  LocalizedText,
  ModuleDefinition,
  ModuleDefinitionInput,
  ModulePaths,
  ModuleSettings,
  SettingField,
  SettingInput,
  SettingsDefinition,
  SimpleConnectionDefinition,
} from './module-definition.js';
export type * from './hooks.js';
export { connectAccount, establishConnection, type ConnectRequest, type ConnectResult, type EstablishRequest, type EstablishResult } from './connect-account.js';
export { handleActivityCallback, type CallbackOutcome } from './activity.js';
export { createSimpleConnection, type RegisterOutcome, type SimpleConnection, type TicketRedemption } from './simple-connection.js';
export { changeApiKey, changeSettings, disconnect, type ManageResult } from './manage-connection.js';
export { checkApiVersion, checkRights, missingRights, ConnectStepError } from './checks.js';
export { registrationPayload, defaultRedirectAfterConnect } from './registration.js';
export { stateFromActivity } from './state.js';
export type { ConnectFailure } from './failure.js';
export type { ConnectKit, FlowLogger } from './kit.js';
