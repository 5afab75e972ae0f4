import type { KindName } from './kinds.ts';
import type { KorifiShapes } from './korifi-types.ts';

export type OwnerReference = {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
};

/** The time and writer of one write, as the apiserver records it; presenters read `updated_at` from the newest. */
export type ManagedFieldsEntry = {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  subresource?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
};

export type ObjectMeta = {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
};

/** `metav1.Condition`. */
export type Condition = {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
};

export type Subject = { kind: 'User' | 'Group' | 'ServiceAccount'; name: string; namespace?: string; apiGroup?: string };
export type PolicyRule = {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
};
export type RoleRef = { apiGroup: string; kind: 'Role' | 'ClusterRole'; name: string };

/** The body of each kind beside `metadata` (spec/status for most, other top-level fields for core kinds). */
export type KindShapes = KorifiShapes & {
  Namespace: { spec?: { finalizers?: string[] }; status?: { phase?: 'Active' | 'Terminating' } };
  Secret: { type?: string; data?: Record<string, string>; stringData?: Record<string, string>; immutable?: boolean };
  Role: { rules?: PolicyRule[] };
  ClusterRole: { rules?: PolicyRule[]; aggregationRule?: unknown };
  RoleBinding: { subjects?: Subject[]; roleRef: RoleRef };
  ClusterRoleBinding: { subjects?: Subject[]; roleRef: RoleRef };
  Lease: { spec?: LeaseSpec };
};

/** `coordination.k8s.io/v1` LeaseSpec (times are RFC 3339 with microseconds). */
export type LeaseSpec = {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
};

/** An object of kind K as both backends store and return it. */
export type StoredObject<K extends KindName = KindName> = { apiVersion: string; kind: K; metadata: ObjectMeta } & KindShapes[K];

/** What a caller passes to `create`: server-owned metadata may be left out. */
export type NewObject<K extends KindName = KindName> = Omit<StoredObject<K>, 'apiVersion' | 'kind'> & {
  apiVersion?: string;
  kind: K;
};
