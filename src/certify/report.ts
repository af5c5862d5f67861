/**
 * What `certify` reports: one entry per check, each failure with one named reason from a fixed catalog (so a
 * CI job, a test or a person can tell failures apart without reading prose), and the JUnit XML of it.
 * @module
 */

/** Why a check failed. Stable names: never renamed or reused. */
export const CertifyReason = {
  FormMissing: 'form-missing',
  AccountNotPrefilled: 'account-not-prefilled',
  WrongKeyUnreadable: 'wrong-key-unreadable',
  ConnectFailed: 'connect-failed',
  NoReturnToCrm: 'no-return-to-crm',
  RegistrationMissing: 'registration-missing',
  ActivityNotRegistered: 'activity-not-registered',
  UnknownClientIdServerError: 'unknown-client-id-5xx',
  UnknownClientIdAccepted: 'unknown-client-id-accepted',
  WrongEnvelope: 'wrong-envelope',
  CallbackTooSlow: 'callback-too-slow',
  CallbackRefused: 'callback-refused',
  ConfigShape: 'config-shape',
  BadHmacAccepted: 'bad-hmac-accepted',
  BadHmacNot401: 'bad-hmac-not-401',
  WrongRegisterAnswer: 'wrong-register-answer',
  ReplayAccepted: 'replay-accepted',
  LandingBroken: 'landing-broken',
  SettingsPageBroken: 'settings-page-broken',
  ReinstallDuplicates: 'reinstall-duplicates',
  Unreachable: 'unreachable',
} as const;

export type CertifyReason = (typeof CertifyReason)[keyof typeof CertifyReason];

export interface CertifyCheck {
  /** Stable id, e.g. `simple.replay`. */
  readonly id: string;
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly reason?: CertifyReason;
  /** What was seen, for a person: statuses, times, which field was wrong. Never a key or a secret. */
  readonly detail?: string;
  readonly ms: number;
}

export interface CertifyReport {
  readonly ok: boolean;
  readonly checks: readonly CertifyCheck[];
  readonly ms: number;
}

/** The distinct reasons of the failed checks, in order of first appearance. */
export function failureReasons(report: CertifyReport): CertifyReason[] {
  return [...new Set(report.checks.flatMap((c) => (c.status === 'failed' && c.reason ? [c.reason] : [])))];
}

/** Lines for a terminal: one per check, then a summary. */
export function formatReport(report: CertifyReport): string[] {
  const mark = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
  const lines = report.checks.map((c) => {
    const tail = c.status === 'failed' ? ` [${c.reason}] ${c.detail ?? ''}` : c.detail ? ` (${c.detail})` : '';
    return `${mark[c.status]}  ${c.id.padEnd(28)} ${c.title}${tail}`.trimEnd();
  });
  const count = (s: CertifyCheck['status']) => report.checks.filter((c) => c.status === s).length;
  lines.push(`${report.ok ? 'PASSED' : 'FAILED'}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped in ${(report.ms / 1000).toFixed(1)} s`);
  return lines;
}

const xml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
    // Control characters are not allowed in XML 1.0.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML (the format CI systems read): one testsuite, one testcase per check. */
export function junitXml(report: CertifyReport, suite = 'retailcrm-module-kit certify'): string {
  const failures = report.checks.filter((c) => c.status === 'failed').length;
  const skipped = report.checks.filter((c) => c.status === 'skipped').length;
  const cases = report.checks.map((c) => {
    const [group] = c.id.split('.');
    const open = `    <testcase classname="certify.${xml(group ?? c.id)}" name="${xml(`${c.id}: ${c.title}`)}" time="${(c.ms / 1000).toFixed(3)}"`;
    if (c.status === 'passed') return `${open}/>`;
    if (c.status === 'skipped') return `${open}>\n      <skipped message="${xml(c.detail ?? '')}"/>\n    </testcase>`;
    return `${open}>\n      <failure message="${xml(c.reason ?? 'failed')}" type="${xml(c.reason ?? 'failed')}">${xml(c.detail ?? '')}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${report.checks.length}" failures="${failures}" skipped="${skipped}" time="${(report.ms / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(suite)}" tests="${report.checks.length}" failures="${failures}" skipped="${skipped}" errors="0" time="${(report.ms / 1000).toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
