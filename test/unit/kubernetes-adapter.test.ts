import { expect } from 'chai';
import { parseLabelSelector } from '../../src/labels/selector.ts';
import { StoreError } from '../../src/store/errors.ts';
import { kinds } from '../../src/store/kinds.ts';
import { translateKubernetesError } from '../../src/store/kubernetes/error-translation.ts';
import { resourcePath } from '../../src/store/kubernetes/paths.ts';
import { maxRetries, retryDelayMs } from '../../src/store/kubernetes/retry-policy.ts';
import { KubernetesHttpError } from '../../src/store/kubernetes/rest-client.ts';
import { labelSelectorQuery } from '../../src/store/kubernetes/selector-syntax.ts';

describe('Kubernetes adapter: paths, selectors, errors', () => {
  it('addresses core, RBAC and Korifi kinds, namespaced or not, with the status subresource', () => {
    expect(resourcePath(kinds.Namespace, { name: 'cf' })).to.equal('/api/v1/namespaces/cf');
    expect(resourcePath(kinds.Secret, { namespace: 'space-1', name: 's' })).to.equal('/api/v1/namespaces/space-1/secrets/s');
    expect(resourcePath(kinds.ClusterRole, {})).to.equal('/apis/rbac.authorization.k8s.io/v1/clusterroles');
    expect(resourcePath(kinds.CFApp, { namespace: 'sp', name: 'a', subresource: 'status' })).to.equal(
      '/apis/korifi.cloudfoundry.org/v1alpha1/namespaces/sp/cfapps/a/status',
    );
    expect(resourcePath(kinds.CFApp, { namespace: undefined })).to.equal('/apis/korifi.cloudfoundry.org/v1alpha1/cfapps');
  });

  it('writes selectors in the apiserver syntax, and knows an empty `in` matches nothing', () => {
    expect(labelSelectorQuery(parseLabelSelector('a=1,b!=2,c in (x,y),d notin (z),e,!f'))).to.equal('a=1,b!=2,c in (x,y),d notin (z),e,!f');
    expect(labelSelectorQuery([])).to.equal(undefined);
    expect(labelSelectorQuery([{ key: 'a', operator: 'in', values: [] }])).to.equal(null);
    expect(
      labelSelectorQuery([
        { key: 'a', operator: 'notIn', values: [] },
        { key: 'b', operator: 'exists' },
      ]),
    ).to.equal('b');
  });

  it('translates apiserver statuses into store errors, telling AlreadyExists from a conflict', () => {
    const reasonOf = (status: number, reason?: string) =>
      (translateKubernetesError(new KubernetesHttpError(status, { message: 'm', ...(reason ? { reason } : {}) })) as StoreError).reason;
    expect(reasonOf(404)).to.equal('NotFound');
    expect(reasonOf(409, 'AlreadyExists')).to.equal('AlreadyExists');
    expect(reasonOf(409, 'Conflict')).to.equal('Conflict');
    expect(reasonOf(403)).to.equal('Forbidden');
    expect(reasonOf(401)).to.equal('Unauthorized');
    expect(reasonOf(422)).to.equal('Invalid');
    expect(reasonOf(429)).to.equal('Unavailable');
    expect(reasonOf(502)).to.equal('Unavailable');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect((translateKubernetesError(refused) as StoreError).reason).to.equal('Unavailable');
    const bug = new TypeError('x is undefined');
    expect(translateKubernetesError(bug)).to.equal(bug);
  });

  it('retries what the apiserver did not carry out: 429 always, a 5xx only for reads that it asks to retry', () => {
    const answer = (statusCode: number, retryAfter?: string) => ({
      statusCode,
      headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
    });
    expect(retryDelayMs(answer(429, '1'), 'POST', 0)).to.equal(1000);
    expect(retryDelayMs(answer(429), 'PATCH', 2)).to.equal(400);
    expect(retryDelayMs(answer(429, '60'), 'GET', 0)).to.equal(2000);
    expect(retryDelayMs(answer(429), 'GET', maxRetries)).to.equal(undefined);
    expect(retryDelayMs(answer(503, '1'), 'GET', 0)).to.equal(1000);
    expect(retryDelayMs(answer(503, '1'), 'POST', 0)).to.equal(undefined);
    expect(retryDelayMs(answer(503), 'GET', 0)).to.equal(undefined);
    expect(retryDelayMs(answer(409), 'PUT', 0)).to.equal(undefined);
  });
});
