/**
 * Task states, with Celery's names and sets.
 * @module
 */

/** Unknown id or not yet run. Never stored. */
export const PENDING = "PENDING";
/** Received by a worker (events only). */
export const RECEIVED = "RECEIVED";
/** Running; stored only with `trackStarted`. */
export const STARTED = "STARTED";
/** Finished and returned a value. */
export const SUCCESS = "SUCCESS";
/** Raised an error, hit its time limit or ran out of retries. */
export const FAILURE = "FAILURE";
/** Waiting to be retried. */
export const RETRY = "RETRY";
/** Revoked or expired. */
export const REVOKED = "REVOKED";

/** A state name: one of the constants above or a custom one from `updateState`. */
export type TaskState = string;

/** States after which a task will not change any more. */
export const READY_STATES: ReadonlySet<string> = new Set([SUCCESS, FAILURE, REVOKED]);
/** States whose result is an exception. */
export const EXCEPTION_STATES: ReadonlySet<string> = new Set([RETRY, FAILURE, REVOKED]);
/** States whose exception `get()` re-throws. */
export const PROPAGATE_STATES: ReadonlySet<string> = new Set([FAILURE, REVOKED]);
