import type { components } from '../../generated/openapi-types.ts';
import type { Envelope } from '../log-cache/log-source.ts';

type EnvelopeBatch = components['schemas']['LogEnvelopeBatch'];
type EnvelopeJson = components['schemas']['LogEnvelope'];

/**
 * Envelopes as log-cache's gateway renders them (protojson with proto names, unpopulated fields
 * emitted): the int64 timestamp as a decimal string, `log.payload` as base64, `log.type` by name. The
 * cf CLI decodes them with protojson, which rejects unknown fields, so nothing else is added.
 */
export function presentEnvelopeBatch(envelopes: readonly Envelope[]): EnvelopeBatch {
  return { envelopes: { batch: envelopes.map(presentEnvelope) } };
}

function presentEnvelope(envelope: Envelope): EnvelopeJson {
  const common = {
    timestamp: String(envelope.timestampNs),
    source_id: envelope.sourceId,
    instance_id: envelope.instanceId,
    deprecated_tags: {},
    tags: { ...envelope.tags },
  };
  return envelope.log !== undefined
    ? { ...common, log: { payload: envelope.log.payload, type: envelope.log.type } }
    : { ...common, gauge: { metrics: structuredClone(envelope.gauge) } };
}
