import type { KindControllerDefinition } from './kind-controller.ts';

/** Placeholder until this session's task slice lands: reconciles nothing. */
export const taskController: KindControllerDefinition<'CFTask'> = {
  kind: 'CFTask',
  reconcile: async () => undefined,
};
