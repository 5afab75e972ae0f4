/**
 * Cloud Foundry's query string, as the cf CLI writes it: an array is one comma list (`explode: false`,
 * `names=a,b`), a comma inside an item is sent as `%2C` encoded once more (the server restores it inside
 * the item), `fields[space.organization]=name,guid` keeps its brackets, `label_selector` and every other
 * value is one percent-encoded string. `undefined` and `null` values are left out.
 */
export function serializeCfQuery(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    parts.push(`${encodeKey(key)}=${encodeValue(key, value)}`);
  }
  return parts.join('&');
}

function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%5B/g, '[').replace(/%5D/g, ']');
}

function encodeValue(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => encodeURIComponent(scalar(key, item).replace(/,/g, '%2C'))).join(',');
  return encodeURIComponent(scalar(key, value));
}

function scalar(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new TypeError(`query parameter ${key}: cannot send a value of type ${value === null ? 'null' : typeof value}`);
}

/** One requirement of a label selector, as Kubernetes spells them. */
export type LabelRequirement =
  | { key: string; exists: true }
  | { key: string; exists: false }
  | { key: string; equals: string }
  | { key: string; notEquals: string }
  | { key: string; in: readonly string[] }
  | { key: string; notIn: readonly string[] };

const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * Builds a `label_selector` value from requirements, checking keys and values the way the server will
 * (a key `prefix/name`, values of letters, digits, `-`, `_` and `.`), so a mistake fails here and not as
 * a 422. A plain object `{ env: 'prod' }` means `env=prod` for each entry.
 */
export function labelSelector(requirements: readonly LabelRequirement[] | Readonly<Record<string, string>>): string {
  const list: readonly LabelRequirement[] = Array.isArray(requirements)
    ? requirements
    : Object.entries(requirements as Record<string, string>).map(([key, equals]) => ({ key, equals }));
  return list.map(requirementText).join(',');
}

function requirementText(requirement: LabelRequirement): string {
  const { key } = requirement;
  if (!labelKey.test(key)) throw new TypeError(`label_selector: invalid label key ${JSON.stringify(key)}`);
  if ('exists' in requirement) return requirement.exists ? key : `!${key}`;
  if ('equals' in requirement) return `${key}=${checkedValue(requirement.equals)}`;
  if ('notEquals' in requirement) return `${key}!=${checkedValue(requirement.notEquals)}`;
  const values = 'in' in requirement ? requirement.in : requirement.notIn;
  if (values.length === 0) throw new TypeError(`label_selector: ${key} needs at least one value`);
  return `${key} ${'in' in requirement ? 'in' : 'notin'} (${values.map(checkedValue).join(',')})`;
}

function checkedValue(value: string): string {
  if (value.length > 63 || !labelValue.test(value)) throw new TypeError(`label_selector: invalid label value ${JSON.stringify(value)}`);
  return value;
}
