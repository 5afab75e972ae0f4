import type { KindControllerDefinition } from './kind-controller.ts';

/** Placeholder until this session's build slice lands: reconciles nothing. */
export const buildController: KindControllerDefinition<'CFBuild'> = {
  kind: 'CFBuild',
  reconcile: async () => undefined,
};
