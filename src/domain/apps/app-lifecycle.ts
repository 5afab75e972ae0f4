import type { StoredObject } from '../../store/objects.ts';

type StoredLifecycle = StoredObject<'CFApp'>['spec']['lifecycle'];

/** A lifecycle as a create request may give it (the document has checked its shape). */
export type LifecycleRequest =
  | { type: 'buildpack'; data: { buildpacks?: string[] | null; stack: string } }
  | { type: 'docker'; data?: { buildpacks?: unknown[] | null; stack?: string } };

/** A lifecycle change of an update: the type may only be repeated, the buildpacks and stack replaced. */
export type LifecycleUpdate = { type?: 'buildpack' | 'docker'; data: { buildpacks?: string[] | null; stack?: string } };

/** Korifi's default (`defaultLifecycleConfig`): buildpacks detected by the builder, on cflinuxfs3. */
export const defaultStack = 'cflinuxfs3';

/** The CFApp lifecycle of a create request; a docker app stores an empty stack, as Korifi does. */
export function storedLifecycle(request: LifecycleRequest | undefined): StoredLifecycle {
  if (request === undefined) return { type: 'buildpack', data: { buildpacks: [], stack: defaultStack } };
  if (request.type === 'docker') return { type: 'docker', data: { buildpacks: [], stack: '' } };
  return { type: 'buildpack', data: { buildpacks: request.data.buildpacks ?? [], stack: request.data.stack } };
}

/**
 * The merge patch of `spec.lifecycle` for an update, or a message why the change is refused (Korifi's
 * webhook wording). Buildpacks are replaced as a whole; null clears them.
 */
export function lifecyclePatch(
  current: StoredLifecycle,
  update: LifecycleUpdate,
): { patch: Record<string, unknown> } | { refusal: string } {
  if (update.type !== undefined && update.type !== current.type) {
    return { refusal: `Lifecycle type cannot be changed from ${current.type} to ${update.type}` };
  }
  const data: Record<string, unknown> = {};
  if (update.data.buildpacks !== undefined) data['buildpacks'] = update.data.buildpacks ?? [];
  if (update.data.stack !== undefined) data['stack'] = update.data.stack;
  return { patch: { data } };
}
