import { storeErrors, type StoreError } from '../errors.ts';
import type { KindDescriptor } from '../kinds.ts';
import { qualifiedKind } from './resource.ts';

/**
 * Field errors worded as the apiserver words them (`metadata.name: Invalid value: "x": …`), and
 * the Invalid error that lists them (`Secret "x" is invalid: [a, b]`).
 */
export const fieldError = {
  invalid: (path: string, value: unknown, detail: string) => `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`,
  required: (path: string, detail?: string) => `${path}: Required value${detail === undefined ? '' : `: ${detail}`}`,
  forbidden: (path: string, detail: string) => `${path}: Forbidden: ${detail}`,
  tooLong: (path: string, max: number) => `${path}: Too long: must have at most ${max} bytes`,
  unsupported: (path: string, value: unknown, supported: string[]) =>
    `${path}: Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((item) => `"${item}"`).join(', ')}`,
};

export function invalidObject(descriptor: KindDescriptor, name: string, causes: string[]): StoreError {
  const detail = causes.length === 1 ? causes[0]! : `[${causes.join(', ')}]`;
  return storeErrors.invalid(`${qualifiedKind(descriptor)} "${name}" is invalid: ${detail}`);
}

/** Throws Invalid when there is any cause. */
export function assertValid(descriptor: KindDescriptor, name: string, causes: string[]): void {
  if (causes.length > 0) throw invalidObject(descriptor, name, causes);
}
