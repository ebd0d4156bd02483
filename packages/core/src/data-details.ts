import * as t from 'io-ts'

const SampleId = t.union([t.string, t.number])

/** Sample ids with their parallel origins (`train`, `val`, …), as the spec and WeightsLab's `EditDataSample` log them. */
const sampleFields = {
  samples_affected: t.number,
  sample_ids: t.readonlyArray(SampleId),
  origins: t.readonlyArray(t.string),
  reason: t.string,
}

/** Codecs of the data actions: tags, discards, queries. */
export const dataDetailsCodecs = {
  tag_add: t.partial({ tag_name: t.string, ...sampleFields }, 'TagAddDetails'),
  tag_remove: t.partial({ tag_name: t.string, ...sampleFields }, 'TagRemoveDetails'),
  tag_register: t.partial({ tag_name: t.string, ...sampleFields }, 'TagRegisterDetails'),
  sample_discard: t.partial(sampleFields, 'SampleDiscardDetails'),
  sample_restore: t.partial(sampleFields, 'SampleRestoreDetails'),
  query_execute: t.partial(
    {
      query_type: t.string,
      query_text: t.string,
      samples_affected: t.number,
      result_count: t.number,
      // WeightsLab's ApplyDataQuery: samples in the loop, all samples, discarded ones, and the reply (first 100 characters).
      results_count: t.number,
      all_samples_count: t.number,
      discarded_count: t.number,
      message: t.string,
    },
    'QueryExecuteDetails',
  ),
} as const
