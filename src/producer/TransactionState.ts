// Kafka's TransactionManager.State and its transition table. An idempotent producer only uses
// UNINITIALIZED, INITIALIZING, READY and FATAL_ERROR; a transactional one all of them.
import { IllegalStateError, InvalidProducerEpochError, ProducerError, ProducerFencedError } from './errors.js';

/** Kafka's TransactionManager.State (an idempotent producer uses UNINITIALIZED, INITIALIZING, READY, FATAL_ERROR). */
export type TransactionState =
  | 'UNINITIALIZED'
  | 'INITIALIZING'
  | 'READY'
  | 'IN_TRANSACTION'
  | 'COMMITTING_TRANSACTION'
  | 'ABORTING_TRANSACTION'
  | 'ABORTABLE_ERROR'
  | 'FATAL_ERROR';

/** Java's State.isTransitionValid. */
export function isTransitionValid(source: TransactionState, target: TransactionState): boolean {
  switch (target) {
    case 'UNINITIALIZED':
      return source === 'READY' || source === 'ABORTABLE_ERROR';
    case 'INITIALIZING':
      return source === 'UNINITIALIZED' || source === 'ABORTING_TRANSACTION';
    case 'READY':
      return source === 'INITIALIZING' || source === 'COMMITTING_TRANSACTION' || source === 'ABORTING_TRANSACTION';
    case 'IN_TRANSACTION':
      return source === 'READY';
    case 'COMMITTING_TRANSACTION':
      return source === 'IN_TRANSACTION';
    case 'ABORTING_TRANSACTION':
      return source === 'IN_TRANSACTION' || source === 'ABORTABLE_ERROR';
    case 'ABORTABLE_ERROR':
      return source === 'IN_TRANSACTION' || source === 'COMMITTING_TRANSACTION' || source === 'ABORTABLE_ERROR' || source === 'INITIALIZING';
    case 'FATAL_ERROR':
      return true;
  }
}

/**
 * The error a transactional call gets in ABORTABLE_ERROR or FATAL_ERROR (Java's
 * maybeFailWithError): a fresh ProducerFencedError / InvalidProducerEpochError /
 * IllegalStateError when that is what happened, else a ProducerError wrapping the cause.
 */
export function errorInErrorState(last: ProducerError | null, who: string): ProducerError {
  if (last instanceof ProducerFencedError) return new ProducerFencedError(90, `${who} has been fenced by another producer with the same transactionalId`);
  if (last instanceof InvalidProducerEpochError) return new InvalidProducerEpochError(47, `${who} attempted to produce with an old epoch`);
  if (last instanceof IllegalStateError) return new IllegalStateError(`${who} cannot execute transactional method because of previous invalid state transition attempt`, { cause: last });
  return new ProducerError(`Cannot execute transactional method because we are in an error state: ${last?.message ?? 'unknown'}`, { cause: last });
}
