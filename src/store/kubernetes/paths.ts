import { StoreError } from '../errors.ts';
import type { KindDescriptor } from '../kinds.ts';
import { isAddressableName } from '../refs.ts';

type Target = { namespace?: string | undefined; name?: string; subresource?: 'status' };

/**
 * The REST path of a kind's collection, one object, or one object's subresource. An object that no
 * path could name is NotFound; a namespaced object without a namespace is Invalid.
 */
export function resourcePath(kind: KindDescriptor, target: Target): string {
  assertAddressable(kind, target);
  const root = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const scope = kind.namespaced && target.namespace !== undefined ? `/namespaces/${encodeURIComponent(target.namespace)}` : '';
  const name = target.name === undefined ? '' : `/${encodeURIComponent(target.name)}`;
  const subresource = target.subresource === undefined ? '' : `/${target.subresource}`;
  return `${root}${scope}/${kind.plural}${name}${subresource}`;
}

function assertAddressable(kind: KindDescriptor, target: Target): void {
  if (kind.namespaced && target.namespace === undefined && target.name !== undefined) {
    throw new StoreError('Invalid', `${kind.plural} "${target.name}": a namespace is required`);
  }
  if (target.namespace !== undefined && !isAddressableName(target.namespace)) {
    throw new StoreError('NotFound', `namespaces "${target.namespace}" not found`);
  }
  if (target.name !== undefined && !isAddressableName(target.name))
    throw new StoreError('NotFound', `${kind.plural} "${target.name}" not found`);
}
