/**
 * English messages: the source of truth for keys. `ru.ts` and `es.ts` must have exactly these keys
 * (the compiler enforces it through `Messages`, and `i18n.test.ts` checks it again at run time).
 * `error.<code>` keys tell a person what happened and what to do next.
 */
export const en = {
  'error.RCMK_ACCOUNT_URL_INVALID': 'The account address is not valid ({reason}). Enter it as https://your-account.retailcrm.ru',
  'error.RCMK_ACCOUNT_URL_NOT_ALLOWED': 'This address is not a RetailCRM / Simla.com account. Check it and enter the address you use to open your CRM.',
  'error.RCMK_ACCOUNT_ADDRESS_BLOCKED': 'This account address points to a private or local network, so the module will not connect to it. Enter the public address of your CRM.',
  'error.RCMK_ACCOUNT_NOT_FOUND': 'No CRM account answers at this address. Check the address and try again.',
  'error.RCMK_API_KEY_MISSING': 'Enter the API key. Create one in the CRM under Settings → Integration → API access keys.',
  'error.RCMK_API_KEY_INVALID': 'The CRM does not accept this API key. Check that you copied the whole key and that it has not been deleted.',
  'error.RCMK_ACCESS_DENIED': 'The API key has no access to a method the module needs. Give the key the rights listed in the module description.',
  'error.RCMK_CRM_VALIDATION_FAILED': 'The CRM refused the module’s data: {details}. Contact the module’s developer.',
  'error.RCMK_PAYMENT_REQUIRED': 'Your account has insufficient funds to activate this module. Top up the balance in the CRM and try again.',
  'error.RCMK_CRM_REJECTED': 'The CRM refused the request: {details}. Try again; if it repeats, contact the module’s developer.',
  'error.RCMK_RATE_LIMITED': 'The CRM is receiving too many requests right now. Wait a few seconds and try again.',
  'error.RCMK_CRM_UNAVAILABLE': 'The CRM is temporarily unavailable. Try again in a few minutes.',
  'error.RCMK_NETWORK_ERROR': 'Could not reach the CRM. Check the address and try again in a few minutes.',
  'error.RCMK_TIMEOUT': 'The CRM took too long to answer. Try again in a few minutes.',
  'error.RCMK_UNEXPECTED_RESPONSE': 'The CRM gave an answer the module does not understand. Check the account address; if it is right, contact the module’s developer.',
  'error.RCMK_API_VERSION_MISSING': 'Your CRM does not offer API version {version}, which this module needs. Ask your CRM administrator to enable it.',
  'error.RCMK_RIGHTS_MISSING': 'The API key lacks these rights: {missing}. Edit the key in the CRM (Settings → Integration → API access keys), add them, and try again.',
  'error.RCMK_SETTINGS_INVALID': 'Some settings are not valid. Correct the highlighted fields and try again.',
  'error.RCMK_FORM_INVALID': 'Some fields are not filled in correctly. Correct the highlighted fields and try again.',
  'error.RCMK_CONNECTION_NOT_FOUND': 'This connection is not known to the module. Open the module again from your CRM’s integration list.',
  'error.RCMK_CSRF_INVALID': 'The form has expired. Reload the page and submit it again.',
  'error.RCMK_SESSION_MISSING': 'Your session has expired. Open the module again from your CRM’s integration list.',
  'error.RCMK_TOKEN_INVALID': 'The connection request could not be verified. Try connecting again from the Marketplace.',
  'error.RCMK_REQUEST_REPLAYED': 'This connection request was already used. Start the connection again from the Marketplace.',
  'error.RCMK_STORE_CONFLICT': 'The connection was changed at the same time by another request. Reload the page and try again.',
  'error.RCMK_STORE_UNAVAILABLE': 'The module cannot reach its database right now. Try again in a few minutes.',
  'error.RCMK_KEYRING_MISSING': 'The module has no encryption keys configured. Set MODULE_SECRET_KEYS and restart it.',
  'error.RCMK_KEYRING_INVALID': 'The module’s encryption keys are not valid: {reason}. Fix MODULE_SECRET_KEYS and restart it.',
  'error.RCMK_SEAL_BROKEN': 'Stored credentials could not be decrypted. Check that MODULE_SECRET_KEYS still contains the key they were sealed with.',
  'error.RCMK_EMULATOR_REQUEST_INVALID': 'The emulator refused the request: {details}.',
  'error.RCMK_EMULATOR_NOT_FOUND': 'The emulator has no such {what}: {name}.',
  'error.RCMK_EMULATOR_CONFLICT': 'The emulator already has this {what}: {name}.',
  'error.RCMK_CONFIG_INVALID': 'The module is not configured correctly. Its administrator should check the settings.',
  'error.RCMK_INTERNAL': 'Something went wrong on the module’s side. Try again; if it repeats, contact the module’s developer.',
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Readonly<Record<MessageKey, string>>;
