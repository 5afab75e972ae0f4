import { cfRoleOfClusterRole } from '../domain/roles/cf-roles.ts';
import { propagateDeletionAnnotation, propagatedFromLabel, propagateRoleAnnotation } from '../domain/roles/role-binding-marks.ts';
import { jsonEqual } from '../store/json-equal.ts';
import type { NewObject, StoredObject } from '../store/objects.ts';
import type { StoreSession } from '../store/port.ts';
import { refOf } from '../store/refs.ts';
import { deleteIfExists } from '../store/lookups.ts';

type Binding = StoredObject<'RoleBinding'>;

/**
 * Only bindings to a CF role's ClusterRole are copied: the propagator writes with the server's
 * credentials, so copying any other role would hand out whatever someone annotated in a parent.
 */
const bindsCfRole = ({ roleRef }: Binding) =>
  roleRef.apiGroup === 'rbac.authorization.k8s.io' && roleRef.kind === 'ClusterRole' && cfRoleOfClusterRole(roleRef.name) !== undefined;
const propagates = (binding: Binding) => binding.metadata.annotations?.[propagateRoleAnnotation] === 'true' && bindsCfRole(binding);
const keepsWhenSourceGoes = (binding: Binding) => binding.metadata.annotations?.[propagateDeletionAnnotation] === 'false';
/** A copy this propagator made from this parent (Korifi's mark); anything else in the child is not ours. */
const isCopyFrom = (binding: Binding, parentNamespace: string) => binding.metadata.labels?.[propagatedFromLabel] === parentNamespace;

/**
 * Copies every RoleBinding of the parent namespace that asks to be propagated and binds a CF role into
 * the child namespace (same name, subjects and roleRef, its labels and annotations, and where it came
 * from), and deletes copies from that parent whose source is gone or no longer propagates, unless a copy
 * asks to be kept. Copies keep the propagate annotation, so bindings reach the spaces below an org too.
 * A binding of the same name in the child that is not a copy from this parent is left as it is.
 */
export async function propagateRoleBindings(session: StoreSession, parentNamespace: string, childNamespace: string): Promise<void> {
  const [sources, present] = await Promise.all([
    session.list('RoleBinding', { namespace: parentNamespace }),
    session.list('RoleBinding', { namespace: childNamespace }),
  ]);
  const presentByName = new Map(present.items.map((binding) => [binding.metadata.name, binding]));
  const wanted = sources.items.filter(propagates).map((source) => copyOf(source, childNamespace, presentByName.get(source.metadata.name)));
  for (const copy of wanted) {
    const existing = presentByName.get(copy.metadata.name);
    if (existing === undefined || isCopyFrom(existing, parentNamespace)) await ensureCopy(session, copy, existing);
  }
  const wantedNames = new Set(wanted.map((copy) => copy.metadata.name));
  for (const binding of present.items) {
    const staleCopy = isCopyFrom(binding, parentNamespace) && !wantedNames.has(binding.metadata.name);
    // Only the version seen, which was ours: a binding made again under that name since is left alone.
    if (staleCopy && !keepsWhenSourceGoes(binding))
      await deleteIfExists(session, refOf(binding), { resourceVersion: binding.metadata.resourceVersion! });
  }
}

function copyOf(source: Binding, namespace: string, present: Binding | undefined): NewObject<'RoleBinding'> {
  const annotations = { ...source.metadata.annotations };
  // Someone may have asked to keep this copy by annotating it; a source without a say does not undo that.
  const keep = present?.metadata.annotations?.[propagateDeletionAnnotation];
  if (keep !== undefined && !(propagateDeletionAnnotation in annotations)) annotations[propagateDeletionAnnotation] = keep;
  return {
    kind: 'RoleBinding',
    metadata: {
      name: source.metadata.name,
      namespace,
      labels: { ...source.metadata.labels, [propagatedFromLabel]: source.metadata.namespace ?? '' },
      annotations,
    },
    ...(source.subjects === undefined ? {} : { subjects: source.subjects }),
    roleRef: source.roleRef,
  };
}

async function ensureCopy(session: StoreSession, copy: NewObject<'RoleBinding'>, present: Binding | undefined): Promise<void> {
  if (present === undefined) {
    await session.create(copy);
    return;
  }
  if (!jsonEqual(present.roleRef, copy.roleRef)) {
    // roleRef cannot change: the copy is made again.
    await session.delete(refOf(present), { resourceVersion: present.metadata.resourceVersion! });
    await session.create(copy);
    return;
  }
  if (sameCopy(present, copy)) return;
  const { labels, annotations } = copy.metadata;
  await session.update({
    ...present,
    metadata: { ...present.metadata, ...(labels && { labels }), ...(annotations && { annotations }) },
    subjects: copy.subjects ?? [],
  });
}

/** Whether a present copy already has what the source gives it (roleRef aside). */
function sameCopy(present: Binding, copy: NewObject<'RoleBinding'>): boolean {
  return (
    jsonEqual(present.subjects ?? [], copy.subjects ?? []) &&
    jsonEqual(present.metadata.labels ?? {}, copy.metadata.labels) &&
    jsonEqual(present.metadata.annotations ?? {}, copy.metadata.annotations)
  );
}
