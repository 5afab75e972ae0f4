import { X509Certificate } from 'node:crypto';
import type { Credentials } from '../auth/identity.ts';

/**
 * Korifi's warning for a client certificate that is valid for longer than recommended: such a
 * credential sitting in a kubeconfig is a long-lived secret. Token users and certificates that cannot be
 * read get none, and so does everyone when `warningHours` is not set.
 */
export function certificateExpiryWarning(credentials: Credentials, warningHours: number | undefined, now = new Date()): string | undefined {
  if (credentials.scheme !== 'clientCert' || warningHours === undefined) return undefined;
  let notAfter: Date;
  try {
    notAfter = new X509Certificate(credentials.certificatePem).validToDate;
  } catch {
    return undefined;
  }
  if (notAfter.getTime() - now.getTime() < warningHours * 3_600_000) return undefined;
  return (
    `Warning: The client certificate you provided for user authentication expires at ${notAfter.toISOString().slice(0, 19)}Z, ` +
    `which exceeds the recommended validity duration of ${goDuration(warningHours * 3600)}. Ask your platform provider to issue you ` +
    'a short-lived certificate credential or to configure your authentication to generate short-lived credentials automatically.'
  );
}

/** A duration as Go prints it (`168h0m0s`), since that is how Korifi words the same warning. */
function goDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = Math.round(totalSeconds % 60);
  return `${hours}h${minutes}m${seconds}s`;
}
