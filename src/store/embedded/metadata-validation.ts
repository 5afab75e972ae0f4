import type { KindDescriptor } from '../kinds.ts';
import type { ObjectMeta } from '../objects.ts';
import { fieldError } from './field-errors.ts';
import { dns1123Label, dns1123Subdomain, labelValue, pathSegmentName, qualifiedName } from './name-rules.ts';

const totalAnnotationSizeLimit = 256 * 1024;

/** The apiserver's ObjectMeta validation for a kind: name, labels, annotations, finalizers, owners. */
export function metadataProblems(descriptor: KindDescriptor, metadata: ObjectMeta): string[] {
  return [
    ...nameProblems(descriptor, metadata.name),
    ...labelProblems(metadata.labels),
    ...annotationProblems(metadata.annotations),
    ...finalizerProblems(metadata.finalizers),
    ...ownerReferenceProblems(metadata.ownerReferences),
  ];
}

function nameProblems(descriptor: KindDescriptor, name: unknown): string[] {
  if (typeof name !== 'string' || name === '') return [fieldError.required('metadata.name', 'name or generateName is required')];
  const problems = nameRuleFor(descriptor)(name);
  return problems.length === 0 ? [] : [fieldError.invalid('metadata.name', name, problems.join('; '))];
}

function nameRuleFor(descriptor: KindDescriptor): (name: string) => string[] {
  if (descriptor.kind === 'Namespace') return dns1123Label;
  if (descriptor.group === 'rbac.authorization.k8s.io') return pathSegmentName;
  return dns1123Subdomain;
}

function labelProblems(labels: unknown): string[] {
  if (labels === undefined) return [];
  if (!isStringMap(labels)) return [fieldError.invalid('metadata.labels', labels, 'labels must map strings to strings')];
  return Object.entries(labels).flatMap(([key, value]) => [
    ...qualifiedName(key).map((problem) => fieldError.invalid('metadata.labels', key, problem)),
    ...labelValue(value).map((problem) => fieldError.invalid('metadata.labels', value, problem)),
  ]);
}

function annotationProblems(annotations: unknown): string[] {
  if (annotations === undefined) return [];
  if (!isStringMap(annotations))
    return [fieldError.invalid('metadata.annotations', annotations, 'annotations must map strings to strings')];
  const problems = Object.keys(annotations).flatMap((key) =>
    qualifiedName(key.toLowerCase()).map((problem) => fieldError.invalid('metadata.annotations', key, problem)),
  );
  const size = Object.entries(annotations).reduce((total, [key, value]) => total + key.length + value.length, 0);
  if (size > totalAnnotationSizeLimit) problems.push(fieldError.tooLong('metadata.annotations', totalAnnotationSizeLimit));
  return problems;
}

function finalizerProblems(finalizers: unknown): string[] {
  if (finalizers === undefined) return [];
  if (!Array.isArray(finalizers)) return [fieldError.invalid('metadata.finalizers', finalizers, 'must be a list of strings')];
  return finalizers.flatMap((finalizer: unknown, index) =>
    typeof finalizer === 'string'
      ? qualifiedName(finalizer).map((problem) => fieldError.invalid(`metadata.finalizers[${index}]`, finalizer, problem))
      : [fieldError.invalid(`metadata.finalizers[${index}]`, finalizer, 'must be a string')],
  );
}

function ownerReferenceProblems(references: unknown): string[] {
  if (references === undefined) return [];
  if (!Array.isArray(references)) return [fieldError.invalid('metadata.ownerReferences', references, 'must be a list')];
  const problems = references.flatMap((reference: Record<string, unknown>, index) =>
    ownerReferenceFieldProblems(reference, `metadata.ownerReferences[${index}]`),
  );
  const controllers = references
    .filter((reference: Record<string, unknown>) => reference.controller === true)
    .map((reference: Record<string, unknown>) => `${String(reference.kind)}/${String(reference.name)}`);
  for (const other of controllers.slice(1)) {
    const detail = `Only one reference can have Controller set to true. Found "true" in references for ${controllers[0]} and ${other}`;
    problems.push(fieldError.invalid('metadata.ownerReferences', references, detail));
  }
  return problems;
}

function ownerReferenceFieldProblems(reference: Record<string, unknown>, path: string): string[] {
  const problems = (['apiVersion', 'kind', 'name', 'uid'] as const)
    .filter((field) => typeof reference[field] !== 'string' || reference[field] === '')
    .map((field) => fieldError.required(`${path}.${field}`, 'must not be empty'));
  const { apiVersion } = reference;
  if (typeof apiVersion === 'string' && apiVersion !== '' && !isGroupVersion(apiVersion)) {
    problems.unshift(fieldError.invalid(`${path}.apiVersion`, apiVersion, 'must be <group>/<version> or <version>'));
  }
  return problems;
}

/** `<version>` or `<group>/<version>` (the group may be empty, the version may not). */
function isGroupVersion(apiVersion: string): boolean {
  const parts = apiVersion.split('/');
  return parts.length <= 2 && parts[parts.length - 1] !== '';
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string')
  );
}
