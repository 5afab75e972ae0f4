import type { KindControllerDefinition } from './kind-controller.ts';

/** Placeholder until this session's process slice lands: reconciles nothing. */
export const processController: KindControllerDefinition<'CFProcess'> = {
  kind: 'CFProcess',
  reconcile: async () => undefined,
};
