/** What went wrong, in words the service turns into a gRPC status. */
export type TrainerErrorKind = 'invalid_argument' | 'not_found' | 'failed_precondition'

/** A refused trainer operation. */
export class TrainerError extends Error {
  override readonly name = 'TrainerError'
  constructor(
    readonly kind: TrainerErrorKind,
    message: string,
  ) {
    super(message)
  }
}
