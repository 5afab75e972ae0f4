import type { components } from '../../generated/openapi-types.ts';
import type { StoredObject } from '../store/objects.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];

/** An app's lifecycle as CF shows it: a docker app's data is empty. */
function presentLifecycle(app: StoredObject<'CFApp'>): Schemas['Lifecycle'] {
  const { type, data } = app.spec.lifecycle;
  if (type === 'docker') return { type, data: {} };
  return { type, data: { buildpacks: data.buildpacks ?? [], stack: data.stack } };
}

/** An app as CF shows it: its state is the desired one; its space is the namespace the CFApp lives in. */
export function presentApp(app: StoredObject<'CFApp'>, baseUrl: string): Schemas['App'] {
  const self = `${baseUrl}/v3/apps/${app.metadata.name}`;
  const spaceGuid = app.metadata.namespace ?? '';
  return {
    guid: app.metadata.name,
    ...presentTimestamps(app),
    name: app.spec.displayName,
    state: app.spec.desiredState,
    lifecycle: presentLifecycle(app),
    relationships: { space: { data: { guid: spaceGuid } } },
    metadata: presentMetadata(app),
    links: {
      self: { href: self },
      space: { href: `${baseUrl}/v3/spaces/${spaceGuid}` },
      processes: { href: `${self}/processes` },
      packages: { href: `${self}/packages` },
      environment_variables: { href: `${self}/environment_variables` },
      current_droplet: { href: `${self}/droplets/current` },
      droplets: { href: `${self}/droplets` },
      tasks: { href: `${self}/tasks` },
      start: { href: `${self}/actions/start`, method: 'POST' },
      stop: { href: `${self}/actions/stop`, method: 'POST' },
      revisions: { href: `${self}/revisions` },
      deployed_revisions: { href: `${self}/revisions/deployed` },
      features: { href: `${self}/features` },
    },
  };
}
