import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { only, renderChart, type Rendered } from '../helm/support/helm-chart.ts';
import { finalStage, imageEnv, inspectDockerfile, instructionsOf, type Stage } from './support.ts';

// The Helm chart runs this image: its Deployment (rendered by the real helm, deploy/helm/cf-k8s-api with
// its default values) must agree with the Dockerfile on the user, the command, the port and the paths the
// image reads and writes. Neither can be tried on a kubelet here, so a drift would otherwise show only on
// a real cluster (a server that cannot read its config or write its data directory).

type Container = {
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { containerPort: number }[];
  securityContext?: { readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};
type PodSpec = {
  securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  containers: Container[];
  volumes?: { name: string; emptyDir?: unknown; configMap?: unknown }[];
};

describe('image: what the Helm chart expects of it', function () {
  this.timeout(60_000);
  let stage: Stage;
  let env: Record<string, string>;
  let objects: Rendered[];
  let pod: PodSpec;
  let container: Container;

  before(async () => {
    stage = finalStage(await inspectDockerfile());
    env = imageEnv(stage);
    objects = await renderChart();
    pod = (only(objects, 'Deployment').spec as { template: { spec: PodSpec } }).template.spec;
    expect(pod.containers).to.have.length(1);
    container = pod.containers[0]!;
  });

  const mountAt = (path: string) => container.volumeMounts?.find((mount) => mount.mountPath === path);
  const volume = (name: string) => pod.volumes?.find((v) => v.name === name);

  it("runs the image's ENTRYPOINT and CMD unchanged", () => {
    expect(container.command).to.equal(undefined);
    expect(container.args).to.equal(undefined);
    expect(instructionsOf(stage, 'CMD')[0]?.command).to.deep.equal(['--backend', 'kubernetes']);
  });

  it("as the image's numeric user, with a read-only root filesystem", () => {
    const [uid, gid] = instructionsOf(stage, 'USER')[0]!.user!.split(':').map(Number);
    expect(pod.securityContext?.runAsUser).to.equal(uid);
    expect(pod.securityContext?.runAsGroup).to.equal(gid);
    expect(container.securityContext?.readOnlyRootFilesystem).to.equal(true);
    expect(container.securityContext?.runAsNonRoot).to.equal(true);
  });

  it('on the port the image exposes', () => {
    const exposed = instructionsOf(stage, 'EXPOSE').flatMap((i) => i.ports ?? []);
    expect(container.ports?.map((p) => String(p.containerPort))).to.deep.equal(exposed);
  });

  it('with writable emptyDirs where the image writes (its data directory and TMPDIR)', () => {
    for (const path of [env['CFAPI_DATA_DIR']!, env['TMPDIR']!]) {
      const mount = mountAt(path);
      expect(mount, `a volume at ${path}`).to.not.equal(undefined);
      expect(mount!.readOnly ?? false).to.equal(false);
      expect(volume(mount!.name)?.emptyDir, `${path} is an emptyDir`).to.not.equal(undefined);
    }
  });

  it('with its config file mounted where the image reads it, naming the same data directory', () => {
    const configFile = container.env?.find((e) => e.name === 'CFAPI_CONFIG')?.value ?? env['CFAPI_CONFIG']!;
    expect(configFile).to.equal(env['CFAPI_CONFIG']);
    const directory = configFile.slice(0, configFile.lastIndexOf('/'));
    const mount = mountAt(directory);
    expect(mount, `a volume at ${directory}`).to.not.equal(undefined);
    expect(volume(mount!.name)?.configMap, `${directory} is the ConfigMap`).to.not.equal(undefined);
    const configMap = only(objects, 'ConfigMap') as Rendered & { data: Record<string, string> };
    const config = parseYaml(configMap.data[configFile.slice(directory.length + 1)]!) as { dataDir?: string; backend?: string };
    // The image's CFAPI_DATA_DIR overrides the file's dataDir (environment over file): they must agree.
    expect(config.dataDir).to.equal(env['CFAPI_DATA_DIR']);
    expect(config.backend).to.equal('kubernetes');
  });
});
