import type { handleServerStreamingCall, handleUnaryCall, sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js'
import { failedWith, succeeded, type AuditRecorder, type CallOutcome } from './audit-recorder.js'
import { isThenable, toAnswerableError } from './grpc-error.js'
import type { RpcAudit } from './rpc-audit.js'

// Messages loaded by @grpc/proto-loader are untyped; the wrappers pass them through untouched.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Message = any

/**
 * Wraps a unary handler: one event when it answers through the callback, throws, or rejects.
 * The caller gets exactly the handler's answer (a thrown exception is rethrown for grpc-js to answer
 * as it always does), unless fail-closed mode answers UNAVAILABLE instead.
 */
export function auditUnary(rpc: string, audit: RpcAudit, handler: handleUnaryCall<Message, Message>, recorder: AuditRecorder): handleUnaryCall<Message, Message> {
  return (call: ServerUnaryCall<Message, Message>, callback: sendUnaryData<Message>) => {
    const admission = recorder.admit(rpc, audit, call)
    if (admission.refusal !== undefined) {
      callback(admission.refusal)
      return
    }
    let answered = false
    const answer: sendUnaryData<Message> = (error, value, trailer, flags) => {
      // grpc-js answers a call once; a handler calling back twice gets its first answer, as without us.
      if (answered) return
      answered = true
      const refusal = admission.record.finish(error ? failedWith(error) : succeeded(value))
      if (refusal !== undefined) callback(refusal)
      else callback(error, value, trailer, flags)
    }
    let returned: unknown
    try {
      returned = handler(call, answer)
    } catch (thrown) {
      if (answered) throw thrown
      answered = true
      const refusal = admission.record.finish(failedWith(thrown))
      if (refusal === undefined) throw thrown
      callback(refusal)
      return
    }
    // grpc-js ignores a returned promise: a rejection would be unhandled and the call would hang until its deadline.
    if (isThenable(returned)) returned.then(undefined, (reason: unknown) => answer(toAnswerableError(reason), null))
  }
}

/**
 * Wraps a server-streaming handler: one event when the stream ends (`end()`, an `error`, the client
 * cancelling, or a throw or rejection). Its messages and status are on the wire by then, so fail-closed
 * mode can refuse such a call only before its handler starts.
 */
export function auditServerStream(
  rpc: string,
  audit: RpcAudit,
  handler: handleServerStreamingCall<Message, Message>,
  recorder: AuditRecorder,
): handleServerStreamingCall<Message, Message> {
  return (call: ServerWritableStream<Message, Message>) => {
    const admission = recorder.admit(rpc, audit, call)
    if (admission.refusal !== undefined) {
      // grpc-js's own 'error' listener turns this into the call's status and ends the stream.
      call.emit('error', admission.refusal)
      return
    }
    let ended = false
    let failure: unknown
    const end = (outcome: CallOutcome): void => {
      if (ended) return
      ended = true
      admission.record.finish(outcome)
    }
    call.on('error', (error: unknown) => {
      failure ??= error
    })
    call.on('cancelled', () => end(failedWith(new Error('Cancelled by the client'))))
    const settle = (): void => end(failure === undefined ? succeeded(undefined) : failedWith(failure))
    call.on('finish', settle)
    // A stream destroyed with an error closes without finishing.
    call.on('close', settle)
    let returned: unknown
    try {
      returned = handler(call)
    } catch (thrown) {
      end(failedWith(thrown))
      throw thrown
    }
    if (isThenable(returned)) {
      returned.then(undefined, (reason: unknown) => {
        if (!ended) call.emit('error', toAnswerableError(reason))
      })
    }
  }
}
