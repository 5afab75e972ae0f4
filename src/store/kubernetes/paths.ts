import type { KindDescriptor } from '../kinds.ts';

/** The REST path of a kind's collection, one object, or one object's subresource. */
export function resourcePath(
  kind: KindDescriptor,
  target: { namespace?: string | undefined; name?: string; subresource?: 'status' },
): string {
  const root = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const scope = kind.namespaced && target.namespace !== undefined ? `/namespaces/${encodeURIComponent(target.namespace)}` : '';
  const name = target.name === undefined ? '' : `/${encodeURIComponent(target.name)}`;
  const subresource = target.subresource === undefined ? '' : `/${target.subresource}`;
  return `${root}${scope}/${kind.plural}${name}${subresource}`;
}
