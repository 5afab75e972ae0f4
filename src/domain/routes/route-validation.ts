/**
 * Korifi's route webhook checks, with its texts (each list of problems joined by ", "): the host, then
 * the host on its domain as a DNS name, then the path. Each function answers the refusal, or undefined.
 */

const maxLabelLength = 63;
const maxFqdnLength = 253;
const minFqdnLength = 3;
const maxPathLength = 128;

/** The host alone: not empty, one label of at most 63 characters, word characters and `-`, or `*`. */
export function invalidHost(host: string): string | undefined {
  const problems: string[] = [];
  if (host.length === 0) problems.push('host cannot be empty');
  if (host.length > maxLabelLength) problems.push('host is too long (maximum is 63 characters)');
  if (!/^([\w-]+|\*)?$/.test(host)) problems.push('host must be either "*" or contain only alphanumeric characters, "_", or "-"');
  return problems.length === 0 ? undefined : problems.join(', ');
}

/**
 * The host and then `host.domain` as a name of DNS labels (RFC 1035: each label starts with a letter,
 * holds letters, digits and `-`, and does not end with `-`), at most 253 characters; as in Korifi, a
 * wildcard or underscore host does not pass this.
 */
export function invalidHostOrDomain(host: string, domainName: string): string | undefined {
  const hostRefusal = invalidHost(host);
  if (hostRefusal !== undefined) return hostRefusal;
  const fqdn = `${host}.${domainName}`;
  if (fqdn.split('.').some((part) => part.length > maxLabelLength)) return 'Subdomains must each be at most 63 characters';
  const rfc1035 = /^[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
  if (fqdn.length < minFqdnLength || fqdn.length > maxFqdnLength || !rfc1035.test(fqdn))
    return `FQDN '${fqdn}' does not comply with RFC 1035 standards`;
  return undefined;
}

/** A path: empty, or a request URI (absolute path) other than `/`, without `?`, at most 128 characters. */
export function invalidPath(path: string): string | undefined {
  if (path === '') return undefined;
  const problems: string[] = [];
  if (!isRequestUri(path)) problems.push('Invalid Route URI');
  if (path === '/') problems.push('Path cannot be a single slash');
  if (path.includes('?')) problems.push('Path cannot contain a question mark');
  if (path.length > maxPathLength) problems.push('Path cannot exceed 128 characters');
  return problems.length === 0 ? undefined : problems.join(', ');
}

/**
 * What Go's `url.ParseRequestURI` accepts, which Korifi asks: no control characters; an absolute path
 * (or a URI with a scheme); every `%` starting a two-digit hex escape in the path before any `?`.
 */
function isRequestUri(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) return false;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value)) return true;
  if (!value.startsWith('/')) return false;
  const path = value.split('?', 1)[0] ?? '';
  return !/%(?![0-9a-fA-F]{2})/.test(path);
}
