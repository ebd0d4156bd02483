import * as t from 'io-ts'

/**
 * The statuses a stored event may carry: the spec's `success` and `failed`, and `error`, which WeightsLab's notebook
 * service writes for a failed cell (`notebook_service.py`, `RunNotebookCell`). A closed set, not any string: it is
 * every value WeightsLab's code writes, and a status outside it is a damaged or foreign record, not a new meaning.
 */
export const AuditStatusCodec = t.keyof({ success: null, failed: null, error: null }, '"success" | "failed" | "error"')

/** `"success"`, `"failed"`, or `"error"` (WeightsLab's spelling of a failure, kept as written). */
export type AuditStatus = t.TypeOf<typeof AuditStatusCodec>

/** The statuses the spec defines: all a `strict` logger writes. */
export const SPEC_STATUSES = ['success', 'failed'] as const

/** The statuses that mean the action did not happen: `failed`, and WeightsLab's `error`. */
export const FAILURE_STATUSES: readonly AuditStatus[] = ['failed', 'error']

/**
 * True when `status` records a failure (`failed` or `error`). Whatever counts failures (replay's `failures`, the CLI's
 * `summary` and `state`, `query --status failed`) counts through this, so both spellings count alike.
 */
export function isFailureStatus(status: string): boolean {
  return status === 'failed' || status === 'error'
}
