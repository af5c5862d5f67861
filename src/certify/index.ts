/**
 * `certify`: a contract test that plays the CRM against any module at a URL.
 * @module
 */
export { certifyModule, type CertifyOptions } from './certify-module.js';
export { CertifyReason, failureReasons, formatReport, junitXml, type CertifyCheck, type CertifyReport } from './report.js';
