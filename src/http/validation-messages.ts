import type { ErrorObject } from 'ajv';

/**
 * Turns Ajv errors into the readable, Korifi-style sentences of a 422 detail (`name must be a string`,
 * `relationships.space.data.guid cannot be blank`, `order_by value must be one of: …`), sorted and joined
 * with ", ". `prefix` names the location of the validated value, e.g. a query parameter's name.
 */
export function describeValidationErrors(errors: readonly ErrorObject[], prefix = ''): string {
  const relevant = errors.filter((error) => !['oneOf', 'anyOf', 'if', 'propertyNames'].includes(error.keyword));
  const withoutNullAlternatives = relevant.filter(
    (error) =>
      !(
        error.keyword === 'type' &&
        error.params['type'] === 'null' &&
        relevant.some((other) => other !== error && other.instancePath === error.instancePath)
      ),
  );
  const messages = new Set((withoutNullAlternatives.length > 0 ? withoutNullAlternatives : errors).map((error) => describe(error, prefix)));
  return [...messages].sort().join(', ');
}

type Phrase = (subject: string, params: Record<string, unknown>, error: ErrorObject) => string;

/** One sentence per Ajv keyword; `subject` is the dotted field path. */
const phrases: Record<string, Phrase> = {
  additionalProperties: (subject, params) =>
    `invalid request body: json: unknown field "${childPath(subject, String(params['additionalProperty']))}"`,
  required: (subject, params) => `${childPath(subject, String(params['missingProperty']))} cannot be blank`,
  type: (subject, params) => `${subject} must be ${article(String(params['type']))}`,
  enum: (subject, params) => `${subject} value must be one of: ${(params['allowedValues'] as unknown[]).join(', ')}`,
  minLength: (subject, params) =>
    params['limit'] === 1 ? `${subject} cannot be blank` : `${subject} must be at least ${String(params['limit'])} characters long`,
  maxLength: (subject, params) => `${subject} must be no more than ${String(params['limit'])} characters long`,
  minimum: (subject, params, error) =>
    `${subject} ${customMessage(error) ?? `must be greater than or equal to ${String(params['limit'])}`}`,
  maximum: (subject, params) => `${subject} must be less than or equal to ${String(params['limit'])}`,
  pattern: (subject, _params, error) => `${subject} ${customMessage(error) ?? 'has an invalid format'}`,
  format: (subject, _params, error) => `${subject} ${customMessage(error) ?? 'has an invalid format'}`,
};

function describe(error: ErrorObject, prefix: string): string {
  const path = fieldPath(error.instancePath, prefix);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties' || error.keyword === 'required') return phrases[error.keyword]!(path, params, error);
  const field = path === '' ? 'request body' : path;
  const subject = error.propertyName === undefined ? field : `${field} key "${error.propertyName}"`;
  const phrase = phrases[error.keyword];
  return phrase ? phrase(subject, params, error) : `${subject} ${error.message ?? 'is invalid'}`;
}

/** A schema may phrase its own failure with `x-error-message`, e.g. the app name rule. */
function customMessage(error: ErrorObject): string | undefined {
  const message = (error.parentSchema as Record<string, unknown> | undefined)?.['x-error-message'];
  return typeof message === 'string' ? message : undefined;
}

function fieldPath(instancePath: string, prefix: string): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  let path = prefix;
  for (const segment of segments) {
    path = /^\d+$/.test(segment) ? `${path}[${segment}]` : childPath(path, segment);
  }
  return path;
}

function childPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function article(type: string): string {
  const names: Record<string, string> = { integer: 'an integer', object: 'an object', array: 'an array', null: 'null' };
  return names[type] ?? `a ${type.replace(',', ' or ')}`;
}
