import type { components } from '../../generated/openapi-types.ts';
import { readBuilder, type BuilderBuildpack, type BuilderStack } from '../domain/builds/builder-info.ts';
import { deterministicGuid } from '../domain/guids.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { matchesLabelSelector } from '../labels/selector.ts';
import { secondsUtc } from '../presenters/resource-basics.ts';
import { labelSelectorOf, pageOf } from './list-pages.ts';

type Schemas = components['schemas'];

const noMetadata = () => ({ labels: {}, annotations: {} });

/**
 * A buildpack of the builder. Korifi shows an empty GUID; ours is derived from the name and stack, so it
 * is the same on every request and every replica.
 */
function presentBuildpack(buildpack: BuilderBuildpack): Schemas['Buildpack'] {
  return {
    guid: deterministicGuid('buildpack', buildpack.name, buildpack.stack),
    created_at: secondsUtc(buildpack.creationTimestamp),
    updated_at: secondsUtc(buildpack.updatedTimestamp),
    name: buildpack.name,
    state: 'READY',
    filename: `${buildpack.name}@${buildpack.version}`,
    stack: buildpack.stack,
    position: buildpack.position,
    lifecycle: 'buildpack',
    enabled: true,
    locked: false,
    metadata: noMetadata(),
    links: {},
  };
}

function presentStack(stack: BuilderStack, baseUrl: string): Schemas['Stack'] {
  const guid = deterministicGuid('stack', stack.name);
  return {
    guid,
    created_at: secondsUtc(stack.creationTimestamp),
    updated_at: secondsUtc(stack.updatedTimestamp),
    name: stack.name,
    description: stack.description,
    metadata: noMetadata(),
    links: { self: { href: `${baseUrl}/v3/stacks/${guid}` } },
  };
}

const timestamps = {
  created_at: (item: { creationTimestamp: string }) => secondsUtc(item.creationTimestamp),
  updated_at: (item: { updatedTimestamp: string }) => secondsUtc(item.updatedTimestamp),
};

/** Builder entries have no labels, so a selector that needs one matches none of them. */
const selected = <T>(items: T[], query: { label_selector?: string }): T[] => {
  const { labelSelector } = labelSelectorOf(query);
  return labelSelector === undefined ? items : items.filter(() => matchesLabelSelector(labelSelector, {}));
};

const listBuildpacks: OperationHandler<'listBuildpacks'> = async ({ query }, scope) => {
  const { buildpacks } = await readBuilder(requestContext(scope));
  const sortFields = { ...timestamps, position: (buildpack: BuilderBuildpack) => buildpack.position };
  return { status: 200, body: pageOf(scope, selected(buildpacks, query), query, { sortFields, present: presentBuildpack }) };
};

const listStacks: OperationHandler<'listStacks'> = async ({ query }, scope) => {
  const { stacks } = await readBuilder(requestContext(scope));
  const named = query.names === undefined ? stacks : stacks.filter((stack) => query.names?.includes(stack.name));
  const baseUrl = scope.runtime.config.externalUrl;
  const sortFields = { ...timestamps, name: (stack: BuilderStack) => stack.name };
  return {
    status: 200,
    body: pageOf(scope, selected(named, query), query, { sortFields, present: (stack) => presentStack(stack, baseUrl) }),
  };
};

export const buildpackHandlers = { listBuildpacks, listStacks } satisfies Partial<HandlerMap>;
