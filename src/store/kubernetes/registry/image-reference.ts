/** Where an image lives: the registry host, the repository path on it, and a tag or digest. */
export type ImageReference = { registry: string; repository: string; reference: string };

const dockerHub = 'index.docker.io';
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;
const repositoryPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/**
 * Parses `[registry/]repository[:tag|@digest]` as the Docker tools do: a first path part with a dot or
 * a colon, or `localhost`, is the registry, otherwise the image is on Docker Hub (`library/` for
 * one-part names); no tag means `latest`. Throws on anything else.
 */
export function parseImageReference(text: string): ImageReference {
  const { name, reference } = splitReference(text);
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = !hasRegistry || first === 'docker.io' ? dockerHub : first;
  let repository = hasRegistry ? name.slice(slash + 1) : name;
  if (registry === dockerHub && !repository.includes('/')) repository = `library/${repository}`;
  if (!repositoryPattern.test(repository)) throw new Error(`invalid image reference "${text}": bad repository name`);
  return { registry, repository, reference };
}

function splitReference(text: string): { name: string; reference: string } {
  const at = text.indexOf('@');
  if (at >= 0) {
    const reference = text.slice(at + 1);
    if (!digestPattern.test(reference)) throw new Error(`invalid image reference "${text}": bad digest`);
    return { name: text.slice(0, at), reference };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= text.lastIndexOf('/')) return { name: text, reference: 'latest' };
  const reference = text.slice(colon + 1);
  if (!tagPattern.test(reference)) throw new Error(`invalid image reference "${text}": bad tag`);
  return { name: text.slice(0, colon), reference };
}

/** `registry/repository`, the part of a reference before the tag or digest. */
export function repositoryName(image: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${image.registry}/${image.repository}`;
}
