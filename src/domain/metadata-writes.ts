/** Labels and annotations as the request schemas allow them (their keys are already validated). */
type MetadataCreate = { labels?: Record<string, string>; annotations?: Record<string, string> };
type MetadataUpdate = { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };

/** The object metadata of a new resource's user labels and annotations. */
export function metadataOfCreate(metadata: MetadataCreate | undefined): {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
} {
  return {
    ...(metadata?.labels ? { labels: { ...metadata.labels } } : {}),
    ...(metadata?.annotations ? { annotations: { ...metadata.annotations } } : {}),
  };
}

/** A merge patch of `metadata` for a CF metadata update: a null value removes the key, as in a merge patch. */
export function metadataPatchOf(metadata: MetadataUpdate | undefined): Record<string, unknown> {
  return {
    ...(metadata?.labels ? { labels: { ...metadata.labels } } : {}),
    ...(metadata?.annotations ? { annotations: { ...metadata.annotations } } : {}),
  };
}
