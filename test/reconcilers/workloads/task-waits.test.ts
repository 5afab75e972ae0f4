import { expect } from 'chai';
import type { Identity } from '../../../src/auth/identity.ts';
import { validateConfig } from '../../../src/config/load.ts';
import type { RequestContext } from '../../../src/domain/request-context.ts';
import { cancelTask, createTask } from '../../../src/domain/tasks/task-service.ts';
import { Visibility } from '../../../src/domain/visibility.ts';
import { ApiError } from '../../../src/errors/api-error.ts';
import { withKorifiLabels } from '../../../src/store/korifi-labels/labelled-store.ts';
import type { StoreSession } from '../../../src/store/port.ts';
import { app, namespace, testStore, type TestStore } from '../../unit/embedded-store/store-fixtures.ts';

const space = 'space';

/**
 * The API's waits for the task controller when no controller answers (Korifi's absent and this
 * server's reconcilers off): a clear 503, the task left for a controller to take up later.
 */
describe('task waits without a task controller', () => {
  let fixture: TestStore;
  let session: StoreSession;
  let context: RequestContext;

  beforeEach(async () => {
    fixture = await testStore();
    session = withKorifiLabels(fixture.store).privileged();
    await session.create(namespace(space));
    const identity: Identity = { name: 'dev', kind: 'User', groups: [] };
    await session.create({
      kind: 'RoleBinding',
      metadata: { name: 'dev', namespace: space },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'anything' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'dev' }],
    });
    await session.create(app(space, 'a1'));
    await session.patch({ kind: 'CFApp', namespace: space, name: 'a1' }, { spec: { currentDropletRef: { name: 'd1' } } });
    context = {
      auth: { identity, credentials: { scheme: 'bearer', token: 'unused' } },
      // As the server: this test is about the waits, not about RBAC.
      user: session,
      server: session,
      visibility: new Visibility(session, identity, 'cf'),
      config: validateConfig({ readyTimeoutSeconds: 0.3 }),
      warn: () => undefined,
    };
  });
  afterEach(() => fixture.dispose());

  const rejectionOf = async (promise: Promise<unknown>): Promise<ApiError> => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ApiError) return error;
      throw error;
    }
    throw new Error('expected a rejection');
  };

  it('creating a task answers 503 when nothing initializes it, and leaves the task for a controller', async () => {
    const error = await rejectionOf(createTask(context, 'a1', { command: 'rake db:migrate' }));
    expect([error.status, error.title]).to.deep.equal([503, 'CF-ServiceUnavailable']);
    expect(error.detail).to.match(/^Task [0-9a-f-]{36} was created but its controller did not set it up within 0\.3 seconds/);
    const { items } = await session.list('CFTask', { namespace: space });
    expect(items.map((task) => task.spec)).to.deep.equal([{ command: 'rake db:migrate', appRef: { name: 'a1' } }]);
  });

  it('cancelling answers 503 when nothing confirms it, with spec.canceled set for a controller to act on', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await session.create({ kind: 'CFTask', metadata: { name: 't1', namespace: space }, spec: { command: 'x', appRef: { name: 'a1' } } });
    await session.patchStatus(
      { kind: 'CFTask', namespace: space, name: 't1' },
      {
        sequenceId: 1,
        dropletRef: { name: 'd1' },
        conditions: [{ type: 'Initialized', status: 'True', reason: 'TaskInitialized', message: '', lastTransitionTime: now }],
      },
    );
    const error = await rejectionOf(cancelTask(context, 't1'));
    expect([error.status, error.title]).to.deep.equal([503, 'CF-ServiceUnavailable']);
    expect(error.detail).to.match(/^Task t1 was asked to stop but its controller did not confirm within 0\.3 seconds/);
    expect((await session.get({ kind: 'CFTask', namespace: space, name: 't1' })).spec.canceled).to.equal(true);
  });
});
