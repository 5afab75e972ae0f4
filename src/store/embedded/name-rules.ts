/**
 * Kubernetes' name and key rules (apimachinery `validation`), returning the problems in the
 * apiserver's words; an empty list means valid.
 */
const subdomainFormat = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const labelFormat = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameFormat = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFormat = `(${qualifiedNameFormat})?`;

const subdomainPattern = new RegExp(`^${subdomainFormat}$`);
const labelPattern = new RegExp(`^${labelFormat}$`);
const qualifiedNamePattern = new RegExp(`^${qualifiedNameFormat}$`);
const labelValuePattern = new RegExp(`^${labelValueFormat}$`);

function regexError(message: string, format: string, examples: string[]): string {
  return `${message} (e.g. ${examples.map((example) => `'${example}', `).join(' or ')}regex used for validation is '${format}')`;
}

const maxLength = (max: number) => `must be no more than ${max} characters`;

export function dns1123Subdomain(value: string): string[] {
  const problems = value.length > 253 ? [maxLength(253)] : [];
  if (!subdomainPattern.test(value)) {
    problems.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        subdomainFormat,
        ['example.com'],
      ),
    );
  }
  return problems;
}

export function dns1123Label(value: string): string[] {
  const problems = value.length > 63 ? [maxLength(63)] : [];
  if (!labelPattern.test(value)) {
    problems.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        labelFormat,
        ['my-name', '123-abc'],
      ),
    );
  }
  return problems;
}

/** RBAC objects may have any name that is a valid URL path segment (`system:admin` included). */
export function pathSegmentName(value: string): string[] {
  const problems = ['.', '..'].filter((illegal) => value === illegal).map((illegal) => `may not be '${illegal}'`);
  return problems.concat(['/', '%'].filter((illegal) => value.includes(illegal)).map((illegal) => `may not contain '${illegal}'`));
}

const qualifiedNameMessage =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Label and annotation keys, finalizers: `[prefix/]name`. */
export function qualifiedName(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) {
    return [
      `a qualified name ${regexError(qualifiedNameMessage, qualifiedNameFormat, ['MyName', 'my.name', '123-abc'])} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const problems = parts.length === 2 ? prefixProblems(parts[0]!) : [];
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push(`name part ${maxLength(63)}`);
  if (!qualifiedNamePattern.test(name)) {
    problems.push(`name part ${regexError(qualifiedNameMessage, qualifiedNameFormat, ['MyName', 'my.name', '123-abc'])}`);
  }
  return problems;
}

function prefixProblems(prefix: string): string[] {
  if (prefix.length === 0) return ['prefix part must be non-empty'];
  return dns1123Subdomain(prefix).map((problem) => `prefix part ${problem}`);
}

export function labelValue(value: string): string[] {
  const problems = value.length > 63 ? [maxLength(63)] : [];
  if (!labelValuePattern.test(value)) {
    problems.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValueFormat,
        ['MyValue', 'my_value', '12345'],
      ),
    );
  }
  return problems;
}
