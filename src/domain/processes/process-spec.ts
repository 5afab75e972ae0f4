import { v5 } from 'uuid';
import type { StoredObject } from '../../store/objects.ts';
import type { HealthCheck } from '../../store/korifi-types.ts';

export type Process = StoredObject<'CFProcess'>;
type ProcessSpec = Process['spec'];

/** Korifi's UUIDv5 namespace for names it derives (`tools.NamespacedUUID`): the DNS name of its API group. */
const korifiNamespace = v5('korifi.cloudfoundry.org', v5.DNS);

/**
 * The GUID of an app's process of one type, as Korifi's app controller names it (`NamespacedUUID(app,
 * type)`): the same on every replica and on a Korifi cluster, so whoever creates the process first wins
 * and the others find it.
 */
export function processGuidOf(appGuid: string, processType: string): string {
  return v5(`${appGuid}::${processType}`.trim(), korifiNamespace);
}

/** The values of Korifi's CFProcess defaulting webhook (config `cfProcessDefaults`). */
export const processDefaults = { memoryMB: 1024, diskQuotaMB: 1024, healthCheckTimeoutSeconds: 60 } as const;

/** `web` runs one instance unless told otherwise; every other type none. */
export const defaultInstancesOf = (processType: string): number => (processType === 'web' ? 1 : 0);

/** `web` is checked on its port, every other type only for running. */
export const defaultHealthCheckTypeOf = (processType: string): 'port' | 'process' => (processType === 'web' ? 'port' : 'process');

/** The spec of a new process as Korifi's app controller creates it and its webhook defaults it. */
export function newProcessSpec(appGuid: string, processType: string, detectedCommand: string): ProcessSpec {
  return {
    appRef: { name: appGuid },
    processType,
    detectedCommand,
    desiredInstances: defaultInstancesOf(processType),
    memoryMB: processDefaults.memoryMB,
    diskQuotaMB: processDefaults.diskQuotaMB,
    healthCheck: {
      type: defaultHealthCheckTypeOf(processType),
      data: { timeoutSeconds: processDefaults.healthCheckTimeoutSeconds, invocationTimeoutSeconds: 0 },
    },
  };
}

/** The instances a process should run while its app is started (the webhook defaults an absent count). */
export const desiredInstancesOf = (process: Process): number =>
  process.spec.desiredInstances ?? defaultInstancesOf(process.spec.processType);

/** The health check type in force: an empty stored type means the process type's default, as the webhook sets it. */
export function effectiveHealthCheckType(process: Process): 'http' | 'port' | 'process' {
  const stored = process.spec.healthCheck.type;
  return stored === '' ? defaultHealthCheckTypeOf(process.spec.processType) : stored;
}

/** The command instances run: the one set on the process, else the one staging found; undefined when neither. */
export function effectiveCommand(process: Process): string | undefined {
  const command = process.spec.command ?? '';
  if (command !== '') return command;
  const detected = process.spec.detectedCommand ?? '';
  return detected === '' ? undefined : detected;
}

export type { HealthCheck };
