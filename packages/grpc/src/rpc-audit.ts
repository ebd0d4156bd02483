import type { AuditStatus, DetailsInput } from '@auditrail/core'
import type { Metadata } from '@grpc/grpc-js'

/**
 * What the wrapper logs through: an `AuditLogger` from `auditrail`, core's `EventLogger`, or anything
 * with the same `logEvent`. `logEvent` must return only once the event is persisted and throw otherwise.
 */
export interface AuditEventWriter {
  /** Persists one event, or throws; the wrapper calls it once per audited call. */
  logEvent(actionType: string, status: AuditStatus, details?: DetailsInput | null, error?: string | null, options?: { readonly actor?: string }): unknown
  /** When present and `true`, fail-closed mode refuses calls without trying to write (core's `EventLogger` has it). */
  readonly closed?: boolean
}

/** What `actor` is given to name who made a call. */
export interface ActorContext {
  readonly rpc: string
  readonly request: unknown
  /** The caller's request metadata (what the client asserts, unless your server authenticated it). */
  readonly metadata: Metadata
  readonly peer: string
}

/** Everything known about one handled call when its event is built. */
export interface RpcAuditContext<Req = unknown, Res = unknown> {
  /** The RPC's name as in the proto, e.g. `EditDataSample`. */
  readonly rpc: string
  /** The action type chosen for this call. */
  readonly actionType: string
  readonly request: Req
  readonly status: AuditStatus
  /** The handler's response: unary calls that succeeded only. */
  readonly response: Res | undefined
  /** The error message when `status` is `failed`, else `null`. */
  readonly error: string | null
  /** What `capture` returned before the handler ran (`undefined` without `capture`). */
  readonly before: unknown
  /** What `capture` returned once the handler answered (equal to `before` for a refused call). */
  readonly after: unknown
  /** The caller's request metadata, e.g. to record who asked. */
  readonly metadata: Metadata
  /** The caller's address, as grpc-js reports it. */
  readonly peer: string
}

/**
 * How one RPC is audited. `Req`/`Res` default to `any` because messages loaded by @grpc/proto-loader are
 * untyped; give them to get checked access in `action`, `details` and `capture`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface RpcAudit<Req = any, Res = any> {
  /** The action type, or a function choosing it from the request (one RPC may mean several actions). */
  readonly action: string | ((request: Req) => string)
  /**
   * The event's details. Default `{}`. With `capture`, `before` and `after` are added after the returned
   * fields unless it sets them itself (to override them, or to drop them with `undefined`).
   */
  readonly details?: (context: RpcAuditContext<Req, Res>) => DetailsInput
  /** Reads the state this call changes; run before the handler and again once it answered. Must return JSON values. */
  readonly capture?: (request: Req, actionType: string) => unknown
}

/** The value marking an RPC as read-only: handled as is, never audited. */
export const READ_ONLY = 'read-only'

/** Every RPC of a service, by its proto name: how it is audited, or {@link READ_ONLY}. */
export type RpcAuditMapping = { readonly [rpc: string]: RpcAudit | typeof READ_ONLY }

/** Types one RPC's audit with its request and response messages; returns it unchanged. */
export function defineRpcAudit<Req, Res = unknown>(audit: RpcAudit<Req, Res>): RpcAudit<Req, Res> {
  return audit
}
