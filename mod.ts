/**
 * celeriac — Celery's model (tasks, broker, workers, result backend, beat, canvas) for
 * TypeScript on Cloudflare Workers, Deno, Bun and Node, speaking Celery protocol v2.
 *
 * @example
 * ```ts
 * import { Celeriac } from "celeriac";
 * const app = new Celeriac("tasks");
 * const add = app.task("tasks.add", (a: number, b: number) => a + b);
 * const r = await add.delay(2, 2);
 * await app.worker().drain();
 * console.log(await r.get({ timeout: 1000 })); // 4
 * ```
 * @module
 */
export { Celeriac, type CeleriacConf, type CeleriacOptions, type Route, type TaskRoutes } from "./src/app.ts";
export { Task, type BoundTaskFn, type ErrorMatcher, type TaskFn, type TaskHost, type TaskOptions } from "./src/task.ts";
export { AsyncResult, type GetOptions, type ResultHost } from "./src/result.ts";
export {
  chain, chord, chunks, Chain, Chord, Chunks, group, Group, GroupResult, xmap, xstarmap,
} from "./src/canvas/mod.ts";
export {
  Signature, type ApplyOptions, type SignatureHost, type SignatureLike,
} from "./src/canvas/signature.ts";
export {
  DEFAULT_CONCURRENCY, Worker, type DrainOptions, type DrainReport, type RunOptions, type WorkerOptions,
} from "./src/worker/worker.ts";
export { TaskContext, type TaskRequest } from "./src/worker/context.ts";
export { REVOKE_RECHECK_MS } from "./src/worker/batch.ts";
export { handleRequest, type HandlerHost, type HandlerOptions } from "./src/worker/http.ts";
export type { Disposition, Execution } from "./src/worker/outcome.ts";
export { exceptionRepr, type TaskEvent, type TaskEventListener, type TaskEventType } from "./src/worker/events.ts";
export { decodeEvents, type CeleryEvent } from "./src/worker/celery-events.ts";
export { Monitor, monitoring, type MonitorFactory, type MonitorOptions, type MonitorSource } from "./src/worker/monitor.ts";
export { broadcastControl, canBroadcast, type BroadcastOptions } from "./src/worker/control-client.ts";
export type { ScheduledInfo, TaskInfo, WorkerState } from "./src/worker/state.ts";
export {
  AdapterError, CeleriacError, ChordError, ConfigError, Ignore, MaxRetriesExceededError, MessageError,
  NotRegisteredError, ResultTimeoutError, Retry, SignatureError, SoftTimeLimitExceeded, TaskControl, TaskError,
  TaskRevokedError, TimeLimitExceeded, ValidationError, type CeleriacErrorOptions, type RetryRequest,
} from "./src/errors.ts";
export {
  EXCEPTION_STATES, FAILURE, PENDING, PROPAGATE_STATES, READY_STATES, RECEIVED, RETRY, REVOKED, STARTED, SUCCESS,
  type TaskState,
} from "./src/states.ts";
export {
  buildMessage, decodeMessage, encodeMessage, toOutbound, type MessageInput, type MessageProperties, type TaskHeaders,
  type TaskMessage,
} from "./src/message.ts";
export { ContentDisallowedError, decodeIncoming } from "./src/decode.ts";
export {
  isPullBroker, type Broker, type BrokerCapabilities, type ClaimOptions, type DeadLetter, type Delivery,
  type OutboundMessage, type PullBroker, type ResultBackend, type ResultWrite,
} from "./src/ports.ts";
export { DEAD_LETTER_DEFAULTS, deadLetterLimits, type DeadLetterLimits, type ExtendOptions, type RedriveOptions, type WorkerInfo } from "./src/ports.ts";
export type { EventChannel, FanoutMessage } from "./src/ports.ts";
export type { Embed, ExceptionInfo, ResultMeta, SignatureDict, SignatureOptions } from "./src/types.ts";
export {
  Beat, type BeatSent, type BeatSkipped, type BeatSkipReason, type BeatStartOptions, type TickReport,
} from "./src/beat/beat.ts";
export { crontab, Crontab, type CrontabField, type CrontabFields, type CrontabOptions } from "./src/beat/crontab.ts";
export { every, Every, parseDuration, type Schedule, type ScheduleSlot } from "./src/beat/schedule.ts";
export type { BeatEntry, BeatEntryOptions, BeatSchedule } from "./src/beat/entries.ts";
export { validateSchema, type SchemaIssue, type StandardIssue, type StandardResult, type StandardSchemaV1 } from "./src/schema.ts";
export { systemClock, type AppHost, type Clock } from "./src/host.ts";
