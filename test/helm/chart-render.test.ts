import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { validateConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { chartDirectory, helm, only, renderChart, type Rendered } from './support/helm-chart.ts';

type Container = {
  name: string;
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: { httpGet?: { path: string; scheme: string } };
  livenessProbe?: { httpGet?: { path: string; scheme: string } };
  readinessProbe?: { httpGet?: { path: string; scheme: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};
type PodSpec = {
  serviceAccountName: string;
  terminationGracePeriodSeconds: number;
  securityContext: Record<string, unknown> & { seccompProfile?: { type: string } };
  affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm: { topologyKey: string } }[] } };
  containers: Container[];
  volumes: { name: string; emptyDir?: Record<string, unknown>; configMap?: { name: string }; secret?: { secretName: string } }[];
};
type Deployment = Rendered & {
  spec: { replicas: number; template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } };
};
type Service = Rendered & { spec: { type: string; ports: { name: string; port: number; targetPort: string | number }[] } };

const countYaml = async (directory: string) =>
  (await readdir(join(chartDirectory, directory))).filter((file) => file.endsWith('.yaml')).length;
const configOf = (objects: Rendered[]) =>
  parseYaml((only(objects, 'ConfigMap') as Rendered & { data: Record<string, string> }).data['config.yaml']!) as Record<string, unknown>;
const podOf = (objects: Rendered[]) => (only(objects, 'Deployment') as Deployment).spec.template.spec;

describe('the Helm chart (helm template)', function () {
  this.timeout(60_000);

  it('passes helm lint --strict', async () => {
    const output = await helm(['lint', '--strict', chartDirectory]);
    expect(output).to.contain('0 chart(s) failed');
  });

  describe('with the default values', () => {
    let objects: Rendered[];
    before(async () => {
      objects = await renderChart();
    });

    it('installs our CRDs, kept on uninstall, and the CF roles’ ClusterRoles from files/', async () => {
      const crds = objects.filter((object) => object.kind === 'CustomResourceDefinition');
      expect(crds).to.have.length(await countYaml('files/crds'));
      for (const crd of crds) expect(crd.metadata.annotations?.['helm.sh/resource-policy'], crd.metadata.name).to.equal('keep');
      const cfRoles = objects.filter((object) => object.kind === 'ClusterRole' && object.metadata.name.startsWith('korifi-controllers-'));
      expect(cfRoles).to.have.length(await countYaml('files/cf-roles'));
    });

    it('writes a config file the server accepts, for the kubernetes backend with the reconcilers', () => {
      const raw = configOf(objects);
      const config = validateConfig(raw, 'the chart');
      expect(config.backend).to.equal('kubernetes');
      expect(config.listen).to.deep.equal({ host: '0.0.0.0', port: 8080, allowPlainHttp: true });
      expect(config.reconcilers).to.equal(true);
      expect(config.rootNamespace).to.equal('cf');
      expect(config.dataDir).to.equal('/var/lib/cf-k8s-api');
      expect(raw).not.to.have.property('kubernetes');
    });

    it('runs two replicas as the ServiceAccount, probed on /healthz and /readyz, locked down', () => {
      const deployment = only(objects, 'Deployment') as Deployment;
      expect(deployment.spec.replicas).to.equal(2);
      const pod = deployment.spec.template.spec;
      expect(pod.serviceAccountName).to.equal(only(objects, 'ServiceAccount').metadata.name);
      const container = pod.containers[0]!;
      expect(
        [container.startupProbe, container.livenessProbe, container.readinessProbe].map((probe) => probe!.httpGet!.path),
      ).to.deep.equal(['/healthz', '/healthz', '/readyz']);
      expect(container.resources!.requests).to.include.keys('cpu', 'memory');
      expect(container.resources!.limits).to.include.keys('memory');
      expect(container.env).to.deep.include({ name: 'CFAPI_CONFIG', value: '/etc/cf-k8s-api/config.yaml' });
      const config = configOf(objects) as { shutdownDelaySeconds: number; shutdownTimeoutSeconds: number };
      expect(pod.terminationGracePeriodSeconds).to.be.greaterThan(config.shutdownDelaySeconds + config.shutdownTimeoutSeconds);
    });

    it('runs non-root on a read-only root filesystem without capabilities, with emptyDirs for its data and /tmp, spread over nodes', () => {
      const pod = podOf(objects);
      const container = pod.containers[0]!;
      expect(pod.securityContext).to.include({ runAsNonRoot: true });
      expect(pod.securityContext.seccompProfile!.type).to.equal('RuntimeDefault');
      expect(container.securityContext).to.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true });
      expect(container.securityContext!.capabilities!.drop).to.deep.equal(['ALL']);
      const mounts = Object.fromEntries((container.volumeMounts ?? []).map((mount) => [mount.mountPath, mount.name]));
      expect(mounts).to.deep.equal({ '/etc/cf-k8s-api': 'config', '/var/lib/cf-k8s-api': 'data', '/tmp': 'tmp' });
      expect(pod.volumes.filter((volume) => volume.emptyDir).map((volume) => volume.name)).to.deep.equal(['data', 'tmp']);
      const terms = pod.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution!;
      expect(terms.map((term) => term.podAffinityTerm.topologyKey)).to.deep.equal(['kubernetes.io/hostname']);
    });

    it('serves plain HTTP behind a ClusterIP Service, with a PodDisruptionBudget and no Ingress', () => {
      const service = only(objects, 'Service') as Service;
      expect(service.spec.type).to.equal('ClusterIP');
      expect(service.spec.ports).to.deep.equal([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
      expect(only(objects, 'PodDisruptionBudget').spec).to.deep.include({ maxUnavailable: 1 });
      expect(objects.filter((object) => object.kind === 'Ingress')).to.have.length(0);
    });
  });

  it('rolls the pods when the config changes (checksum annotation)', async () => {
    const checksum = async (values: Record<string, unknown>) =>
      (only(await renderChart(values), 'Deployment') as Deployment).spec.template.metadata.annotations['checksum/config'];
    const before = await checksum({});
    expect(before).to.match(/^[0-9a-f]{64}$/);
    expect(await checksum({ config: { logLevel: 'debug' } })).not.to.equal(before);
    expect(await checksum({ replicaCount: 3 })).to.equal(before);
  });

  it('serves HTTPS itself with tls.enabled, and puts an Ingress with TLS in front when asked', async () => {
    const objects = await renderChart({
      tls: { enabled: true, secretName: 'api-cert' },
      ingress: { enabled: true, host: 'api.example.org', tlsSecretName: 'api-ingress-cert', className: 'nginx' },
    });
    const config = configOf(objects);
    expect(config['tls']).to.deep.equal({ certFile: '/etc/cf-k8s-api-tls/tls.crt', keyFile: '/etc/cf-k8s-api-tls/tls.key' });
    expect((config['listen'] as { allowPlainHttp: boolean }).allowPlainHttp).to.equal(false);
    const pod = podOf(objects);
    expect(pod.volumes).to.deep.include({ name: 'tls', secret: { secretName: 'api-cert' } });
    expect(pod.containers[0]?.readinessProbe?.httpGet?.scheme).to.equal('HTTPS');
    const ingress = only(objects, 'Ingress') as Rendered & { spec: Record<string, unknown> };
    expect(ingress.spec['ingressClassName']).to.equal('nginx');
    expect(ingress.spec['tls']).to.deep.equal([{ hosts: ['api.example.org'], secretName: 'api-ingress-cert' }]);
  });

  describe('with korifi.replaceApi=true (in place of korifi-api)', () => {
    let objects: Rendered[];
    before(async () => {
      objects = await renderChart({ korifi: { replaceApi: true } }, { namespace: 'korifi' });
    });

    it('installs no CRDs and no CF ClusterRoles: Korifi owns them', () => {
      expect(objects.filter((object) => object.kind === 'CustomResourceDefinition')).to.have.length(0);
      expect(objects.filter((object) => object.metadata.name.startsWith('korifi-controllers-'))).to.have.length(0);
    });

    it('is reached as korifi-api is: Service korifi-api-svc, port 443, HTTPS with Korifi’s API certificate', () => {
      const service = only(objects, 'Service') as Service;
      expect(service.metadata).to.include({ name: 'korifi-api-svc', namespace: 'korifi' });
      expect(service.spec.ports).to.deep.equal([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
      expect(podOf(objects).volumes).to.deep.include({ name: 'tls', secret: { secretName: 'korifi-api-ingress-cert' } });
    });

    it('uses Korifi’s root namespace and leaves reconciling to Korifi’s controllers', () => {
      const config = validateConfig(configOf(objects), 'the chart');
      expect(config.rootNamespace).to.equal('cf');
      expect(config.reconcilers).to.equal(false);
      expect(config.tls).to.deep.equal({ certFile: '/etc/cf-k8s-api-tls/tls.crt', keyFile: '/etc/cf-k8s-api-tls/tls.key' });
      expect(objects.filter((object) => object.kind === 'ClusterRole').map((role) => role.metadata.name)).to.deep.equal(['rel-cf-k8s-api']);
    });
  });

  describe('values.schema.json', () => {
    it('rejects a misspelt key, at the top and in config', async () => {
      for (const values of [{ replicas: 3 }, { config: { rootNamspace: 'cf' } }, { korifi: { replaceAPI: true } }]) {
        const error = await renderChart(values).then(
          () => undefined,
          (failure: unknown) => failure as Error,
        );
        expect(error?.message, JSON.stringify(values)).to.match(/additional propert/);
      }
    });

    it('rejects a grace period shorter than the drain (shutdownDelaySeconds + shutdownTimeoutSeconds)', async () => {
      const error = await renderChart({ terminationGracePeriodSeconds: 10 }).catch((failure: unknown) => failure as Error);
      expect((error as Error).message).to.contain('must exceed config.shutdownDelaySeconds + config.shutdownTimeoutSeconds');
    });

    it('has a config key for every key of the server’s config schema but those the chart sets itself', async () => {
      const chartOwned = ['backend', 'listen', 'dataDir', 'tls', 'kubernetes.kubeconfig', 'kubernetes.context'];
      const schema = JSON.parse(await readFile(join(chartDirectory, 'values.schema.json'), 'utf8')) as JsonSchema;
      const values = keyPaths(schema.properties!['config']!);
      const server = keyPaths(z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchema).filter(
        (path) => !chartOwned.some((owned) => path === owned || path.startsWith(`${owned}.`)),
      );
      expect(values).to.deep.equal(server);
    });
  });
});

type JsonSchema = { properties?: Record<string, JsonSchema>; additionalProperties?: unknown };

/** Every key path of an object schema (`a`, `a.b`), sorted; maps (additionalProperties schemas) are leaves. */
function keyPaths(schema: JsonSchema, prefix = ''): string[] {
  return Object.entries(schema.properties ?? {})
    .flatMap(([key, child]) => [`${prefix}${key}`, ...keyPaths(child, `${prefix}${key}.`)])
    .sort();
}
