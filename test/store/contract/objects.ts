import type { NewObject } from '../../../src/store/objects.ts';
import { runLabel, uniqueName } from '../fixture.ts';

export const runId = uniqueName('run');

/** A CFApp (a Korifi kind with spec, status and a generation) in a namespace. */
export function newApp(namespace: string, labels: Record<string, string> = {}, name = uniqueName('app')): NewObject<'CFApp'> {
  return {
    kind: 'CFApp',
    metadata: { name, namespace, labels: { [runLabel]: runId, ...labels } },
    spec: { displayName: name, desiredState: 'STOPPED', lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs4' } } },
  };
}

export function newSecret(namespace: string, name = uniqueName('secret')): NewObject<'Secret'> {
  return {
    kind: 'Secret',
    metadata: { name, namespace, labels: { [runLabel]: runId } },
    type: 'Opaque',
    stringData: { password: 's3cret' },
  };
}
