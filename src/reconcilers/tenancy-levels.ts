import { hashedLabelValue, label } from '../store/korifi-labels/label-rules.ts';
import type { StoredObject } from '../store/objects.ts';
import type { TenancyKind } from './object-keys.ts';

/**
 * What differs between the org and the space reconciler: their finalizer and how they mark the
 * namespace they own. Everything else (namespace, role propagation, readiness, deletion) is shared.
 */
export type TenancyLevel = {
  readonly kind: TenancyKind;
  /** Held on the object until its namespace is gone, so deleting it deletes the namespace first. */
  readonly finalizer: string;
  /**
   * The namespace labels that make a namespace this object's: its GUID, and for a space also its org's
   * (a space of another org with the same name must never take over or delete this one's namespace).
   */
  ownerLabels(object: StoredObject<TenancyKind>): Record<string, string>;
  /** Labels and annotations the owned namespace must carry. */
  namespaceMarks(object: StoredObject<TenancyKind>): NamespaceMarks;
};

export type NamespaceMarks = { labels: Record<string, string>; annotations: Record<string, string> };

// Korifi runs CF workloads under the restricted Pod Security Standard.
const podSecurity = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/audit': 'restricted',
};

export const orgLevel: TenancyLevel = {
  kind: 'CFOrg',
  finalizer: 'cfOrg.korifi.cloudfoundry.org',
  ownerLabels: (org) => ({ [label('org-guid')]: org.metadata.name }),
  namespaceMarks: (org) => ({
    labels: {
      [label('org-guid')]: org.metadata.name,
      [label('org-name')]: hashedLabelValue(org.spec.displayName),
      ...podSecurity,
    },
    annotations: { [label('org-name')]: org.spec.displayName },
  }),
};

export const spaceLevel: TenancyLevel = {
  kind: 'CFSpace',
  finalizer: 'cfSpace.korifi.cloudfoundry.org',
  ownerLabels: (space) => ({ [label('space-guid')]: space.metadata.name, [label('org-guid')]: space.metadata.namespace ?? '' }),
  namespaceMarks: (space) => ({
    labels: {
      [label('space-guid')]: space.metadata.name,
      [label('space-name')]: hashedLabelValue(space.spec.displayName),
      [label('org-guid')]: space.metadata.namespace ?? '',
      ...podSecurity,
    },
    annotations: { [label('space-name')]: space.spec.displayName },
  }),
};
