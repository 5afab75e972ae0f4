import type { KindControllerDefinition } from './kind-controller.ts';

/** Placeholder until this session's app slice lands: reconciles nothing. */
export const appController: KindControllerDefinition<'CFApp'> = {
  kind: 'CFApp',
  reconcile: async () => undefined,
};
