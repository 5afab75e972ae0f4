import type { Condition } from './objects.ts';

/**
 * Spec and status of the Korifi kinds this API reads or writes, with Korifi's field names
 * (`korifi.cloudfoundry.org/v1alpha1`). Optional here where Korifi's CRD schema does not require it.
 * Our CRD manifests (`deploy/helm/cf-k8s-api/files/crds/`) declare the same fields (and a few more Korifi has that we never use).
 */
/** `LocalObjectReference`: the CRD defaults `name` to "", so it is always there when read. */
type ObjectRef = { name: string };
/** `ObjectReference`: no field is required by the CRD. */
type FullObjectRef = {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  fieldPath?: string;
  resourceVersion?: string;
  uid?: string;
};
type Registry = { image: string; imagePullSecrets?: ObjectRef[] };
type CommonStatus = { conditions?: Condition[]; observedGeneration?: number };
type Lifecycle = { type: 'buildpack' | 'docker'; data: { buildpacks?: string[]; stack: string } };

export type CFOrgShape = { spec: { displayName: string }; status?: CommonStatus & { guid: string } };
export type CFSpaceShape = CFOrgShape;

export type CFAppShape = {
  spec: {
    displayName: string;
    desiredState: 'STOPPED' | 'STARTED';
    lifecycle: Lifecycle;
    envSecretName?: string;
    currentDropletRef?: ObjectRef;
  };
  status?: CommonStatus & {
    actualState?: 'STOPPED' | 'STARTED';
    vcapServicesSecretName?: string;
    vcapApplicationSecretName?: string;
    serviceBindings?: { guid: string; name: string; secret: string }[];
  };
};

export type CFPackageShape = {
  spec: { type: 'bits' | 'docker'; appRef: ObjectRef; source?: { registry: Registry } };
  status?: CommonStatus;
};

export type CFBuildShape = {
  spec: { packageRef: ObjectRef; appRef: ObjectRef; stagingMemoryMB: number; stagingDiskMB: number; lifecycle: Lifecycle };
  status?: CommonStatus & {
    state?: 'STAGING' | 'STAGED' | 'FAILED';
    droplet?: {
      registry: Registry;
      stack?: string;
      processTypes?: { type: string; command: string }[];
      ports?: number[];
    };
  };
};

export type HealthCheck = {
  type: 'http' | 'port' | 'process' | '';
  data: { httpEndpoint?: string; invocationTimeoutSeconds: number; timeoutSeconds: number };
};

export type CFProcessShape = {
  spec: {
    appRef: ObjectRef;
    processType: string;
    command?: string;
    detectedCommand?: string;
    healthCheck: HealthCheck;
    desiredInstances?: number;
    memoryMB: number;
    diskQuotaMB: number;
  };
  status?: CommonStatus & {
    actualInstances?: number;
    instancesStatus?: Record<string, { state: 'DOWN' | 'CRASHED' | 'STARTING' | 'RUNNING'; timestamp?: string }>;
  };
};

export type RouteDestination = {
  guid: string;
  appRef: ObjectRef;
  processType: string;
  port?: number;
  protocol?: 'http1';
};

export type CFRouteShape = {
  spec: {
    host?: string;
    path?: string;
    /** Always 'http' when this API writes it. */
    protocol?: 'http' | 'tcp';
    /** name = domain GUID, namespace = root namespace. */
    domainRef: FullObjectRef;
    destinations?: RouteDestination[];
  };
  status?: CommonStatus & { fqdn?: string; uri?: string; destinations?: RouteDestination[] };
};

export type CFDomainShape = { spec: { name: string }; status?: CommonStatus };

export type CFServiceInstanceShape = {
  spec: {
    displayName: string;
    secretName: string;
    type: 'user-provided' | 'managed';
    tags?: string[];
    /** '' for user-provided instances. */
    planGuid: string;
    serviceLabel?: string;
    parameters?: ObjectRef;
  };
  status?: CommonStatus & {
    credentials?: ObjectRef;
    lastOperation?: {
      type: 'create' | 'update' | 'delete';
      state: 'initial' | 'in progress' | 'succeeded' | 'failed';
      description?: string;
    };
    maintenanceInfo?: { version: string };
    upgradeAvailable?: boolean;
  };
};

export type CFServiceBindingShape = {
  spec: {
    displayName?: string;
    /** The CFServiceInstance: kind, apiVersion and name are always written by this API. */
    service: FullObjectRef;
    /** Name '' for service keys. */
    appRef: ObjectRef;
    parameters: ObjectRef;
    type: 'app' | 'key';
  };
  status?: CommonStatus & { envSecretRef?: ObjectRef; mountSecretRef?: ObjectRef };
};

export type CFTaskShape = {
  spec: { command?: string; appRef?: ObjectRef; canceled?: boolean };
  status?: CommonStatus & { sequenceId?: number; memoryMB?: number; diskQuotaMB?: number; dropletRef?: ObjectRef };
};

export type BuilderInfoShape = {
  spec?: Record<string, never>;
  status?: CommonStatus & {
    buildpacks: { name: string; version: string; stack: string; creationTimestamp: string; updatedTimestamp: string }[];
    stacks: { name: string; description: string; creationTimestamp: string; updatedTimestamp: string }[];
  };
};

export type KorifiShapes = {
  CFOrg: CFOrgShape;
  CFSpace: CFSpaceShape;
  CFApp: CFAppShape;
  CFPackage: CFPackageShape;
  CFBuild: CFBuildShape;
  CFProcess: CFProcessShape;
  CFRoute: CFRouteShape;
  CFDomain: CFDomainShape;
  CFServiceInstance: CFServiceInstanceShape;
  CFServiceBinding: CFServiceBindingShape;
  CFTask: CFTaskShape;
  BuilderInfo: BuilderInfoShape;
};
