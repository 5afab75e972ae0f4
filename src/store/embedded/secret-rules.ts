import type { KindRules } from './kind-rules.ts';
import { fieldError } from './field-errors.ts';
import { jsonEqual } from '../json-equal.ts';
import type { Resource } from './resource.ts';

const configKeyFormat = '[-._a-zA-Z0-9]+';
const configKeyPattern = new RegExp(`^${configKeyFormat}$`);
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const maxSecretSize = 1024 * 1024;
const immutableDetail = 'field is immutable when `immutable` is set';

type SecretFields = { type?: unknown; data?: Record<string, unknown>; stringData?: Record<string, unknown>; immutable?: unknown };

/** Secrets as the core API treats them: `stringData` folds into base64 `data`, type defaults to Opaque. */
export const secretRules: KindRules = {
  create: normalize,
  update: normalize,
  problems: (resource, current) => [...dataProblems(resource as SecretFields), ...immutabilityProblems(resource, current)],
};

function normalize(resource: Resource): void {
  const secret = resource as Resource & SecretFields;
  if (secret.stringData !== undefined && secret.stringData !== null) {
    const data: Record<string, unknown> = { ...secret.data };
    for (const [key, value] of Object.entries(secret.stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
    secret.data = data;
  }
  delete secret.stringData;
  if (secret.type === undefined || secret.type === '') secret.type = 'Opaque';
}

function dataProblems(secret: SecretFields): string[] {
  const problems: string[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    if (!configKeyPattern.test(key)) {
      problems.push(
        fieldError.invalid(
          `data[${key}]`,
          key,
          `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '${configKeyFormat}')`,
        ),
      );
    }
    if (typeof value !== 'string' || !base64Pattern.test(value))
      problems.push(fieldError.invalid(`data[${key}]`, value, 'illegal base64 data'));
    else size += Buffer.byteLength(value, 'base64');
  }
  if (size > maxSecretSize) problems.push(fieldError.tooLong('data', maxSecretSize));
  return problems;
}

function immutabilityProblems(resource: Resource, current: Resource | undefined): string[] {
  if (current === undefined) return [];
  const next = resource as SecretFields;
  const stored = current as SecretFields;
  const problems = next.type === stored.type ? [] : [fieldError.invalid('type', next.type, 'field is immutable')];
  if (stored.immutable !== true) return problems;
  if (!jsonEqual(next.data ?? {}, stored.data ?? {})) problems.push(fieldError.forbidden('data', immutableDetail));
  if (next.immutable !== true) problems.push(fieldError.forbidden('immutable', immutableDetail));
  return problems;
}
