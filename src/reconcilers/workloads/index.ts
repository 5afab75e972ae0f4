import type { Metrics } from '../../observability/metrics.ts';
import type { KindName } from '../../store/kinds.ts';
import type { RunningReconcilers } from '../index.ts';
import { appController } from './app-controller.ts';
import { buildController, builderInfoController } from './build-controller.ts';
import { KindController, type KindControllerDefinition, type WorkloadContext } from './kind-controller.ts';
import { packageController } from './package-controller.ts';
import { processController } from './process-controller.ts';
import { routeController } from './route-controller.ts';
import { taskController } from './task-controller.ts';
import { serviceBindingController, serviceInstanceController } from './service-binding-controller.ts';

/** Korifi's app-workload controllers, as this server runs them where Korifi is absent. */
const workloadControllers: KindControllerDefinition<KindName>[] = [
  packageController,
  buildController,
  builderInfoController,
  appController,
  processController,
  taskController,
  routeController,
  serviceInstanceController,
  serviceBindingController,
];

const concurrentReconciles = 4;
const defaultResyncIntervalMs = 5 * 60_000;

/**
 * Starts the package, build, app, process and task controllers over the store, with the runtime doing
 * what needs a machine. Resolves once every informer has listed and watches.
 */
export async function startWorkloadReconcilers(
  context: WorkloadContext,
  options: { resyncIntervalMs?: number; metrics?: Metrics } = {},
): Promise<RunningReconcilers> {
  const controllers = workloadControllers.map(
    (definition) =>
      new KindController(definition, context, {
        concurrency: concurrentReconciles,
        resyncIntervalMs: options.resyncIntervalMs ?? defaultResyncIntervalMs,
        // Each controller is named by the kind it owns (CFApp, CFProcess, ...).
        ...(options.metrics ? { metrics: options.metrics.reconciler(definition.kind) } : {}),
      }),
  );
  const stopAll = async () => {
    await Promise.all(controllers.map((controller) => controller.stop()));
  };
  // One after another: each controller's first lists give way to requests between them (KindController.start).
  for (const controller of controllers) {
    try {
      await controller.start();
    } catch (error) {
      await stopAll();
      throw error;
    }
  }
  return { stop: stopAll };
}
