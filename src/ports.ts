/**
 * The ports: the only interfaces adapters implement. Adapters are storage and transport;
 * retries, ETA, expiry, revocation, chords and beat live in the core (src/), so every
 * adapter behaves the same and is held to the same suite (test/conformance).
 *
 * Round trips are the currency on the edge: every method below is meant to be one request
 * to the underlying service, whatever the batch size.
 * @module
 */
import { ConfigError } from "./errors.ts";
import type { ResultMeta, TaskMessage } from "./types.ts";

/** A message to send. `payload` is the encoded Celery envelope (a JSON string). */
export interface OutboundMessage {
  /** The task id (also the envelope's `headers.id`). */
  id: string;
  /** Queue name (kombu: the routing key with the default exchange). */
  queue: string;
  /** 0–9; on pull brokers **lower is consumed first** (kombu's Redis semantics). */
  priority: number;
  /** Encoded envelope. */
  payload: string;
  /** Epoch ms before which the message must not be claimed (ETA/countdown). */
  notBefore?: number;
}

/** A claimed message. Hand it back to `ack`, `requeue` or `deadLetter`. */
export interface Delivery {
  /** Broker-specific handle (kombu: the `delivery_tag`). */
  tag: string;
  queue: string;
  priority: number;
  payload: string;
  /** True when the message was handed out before and its visibility timeout passed. */
  redelivered: boolean;
  /** Set by brokers with `capabilities.revocation`: the message's task id was revoked. */
  revoked?: boolean;
}

/** What a broker can do; the core adapts to it. */
export interface BrokerCapabilities {
  /** `revoke()` exists and `claim()` marks revoked deliveries. */
  revocation: boolean;
}

/** Anything that can send messages (push brokers such as QStash implement only this). */
export interface Broker {
  /** Adapter name, used in error messages (`"memory"`, `"upstash-redis"`). */
  readonly name: string;
  readonly capabilities: BrokerCapabilities;
  /** Send one or many messages in one round trip. Messages with a future `notBefore` wait. */
  publish(messages: OutboundMessage[]): Promise<void>;
  /** Remember ids that must never run (`ttlMs` how long to remember). */
  revoke?(ids: string[], ttlMs: number): Promise<void>;
  /** Optional: Celery's monitoring channels (events, pidbox) on this broker's transport. */
  readonly events?: EventChannel;
  /**
   * Optional: how the worker turns a delivered payload into a task message; it throws
   * `MessageError` for what cannot run. Set by adapters whose queues Python Celery or other
   * producers also write, to `decodeIncoming` (src/decode.ts: zlib/gzip bodies and protocol 1
   * are rewritten, pickle and the like refused as kombu's `ContentDisallowed`). Absent, the
   * worker decodes strict protocol v2 JSON (`decodeMessage`), and a bundle that never receives
   * foreign bytes (the memory broker) leaves the rewriting code out.
   */
  readonly decode?: (payload: string) => Promise<TaskMessage> | TaskMessage;
  close?(): Promise<void>;
}

/** One message on one of kombu's fanout exchanges: `routingKey` and the encoded kombu envelope. */
export interface FanoutMessage {
  routingKey: string;
  payload: string;
}

/**
 * Celery's monitoring wire on a broker (`Broker.events`), kombu's Redis fanout layout: an event
 * goes to `PUBLISH <prefix>/<db>.celeryev/<routingKey>`, pidbox broadcasts arrive on
 * `<prefix>/<db>.celery.pidbox`, replies are LPUSHed to the queues bound in
 * `<prefix>_kombu.binding.<exchange>`. Envelopes are built and read by the core
 * (src/worker/celery-events.ts, pidbox.ts); the adapter only moves strings.
 */
export interface EventChannel {
  /**
   * PUBLISH every event, in one round trip. Called concurrently with the batch's ack, so an
   * auto-pipelining client (Upstash) sends both in one request.
   */
  publishEvents(events: FanoutMessage[]): Promise<void>;
  /** Optional: receive every event (`PSUBSCRIBE …celeryev/*`); resolves once subscribed, to a stop. */
  subscribeEvents?(onEvent: (event: FanoutMessage) => void): Promise<() => Promise<void>>;
  /** Optional: receive pidbox broadcasts (their envelopes); resolves once subscribed, to a stop. */
  subscribeControl?(onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** Optional: LPUSH `payload` to every queue bound to `exchange` with `routingKey` (a pidbox reply). */
  reply?(exchange: string, routingKey: string, payload: string): Promise<void>;
  /**
   * Optional, the client side of `celery inspect`: bind the reply queue `<oid>.reply.celery.pidbox`,
   * PUBLISH `payload` on the pidbox, and collect the reply envelopes that arrive within `timeoutMs`
   * (returning early once `limit` arrived, as kombu does when the destinations are known).
   */
  broadcast?(payload: string, oid: string, timeoutMs: number, limit?: number): Promise<string[]>;
}

/** Options of one claim. */
export interface ClaimOptions {
  /** Claim at most this many messages. */
  max: number;
  /** A claimed message not acked within this time is handed out again. */
  visibilityMs: number;
  /**
   * The caller's time (epoch ms, `app.clock.now()`): what is due, expired or revoked is judged
   * at this instant, atomically inside the claim. The worker always passes it; without it the
   * adapter uses its own clock.
   */
  now?: number;
}

/** Results a pull broker can store together with the ack, when it shares the backend's store. */
export interface ResultWrite {
  meta: ResultMeta;
  /** Milliseconds to keep it; `null` keeps it forever. */
  ttlMs: number | null;
}

/** A broker the worker pulls from (memory, Upstash Redis, TCP Redis, ...). */
export interface PullBroker extends Broker {
  /**
   * Atomically, in one round trip: move due delayed messages to their queues, put back
   * messages whose visibility timeout passed, then take up to `max` messages across
   * `queues` (priority 0 first, queues in the given order).
   */
  claim(queues: string[], opts: ClaimOptions): Promise<Delivery[]>;
  /**
   * Acknowledge finished deliveries. When `results` is given and `storesResultsFor(backend)`
   * said yes, the results are written in the same round trip.
   */
  ack(deliveries: Delivery[], results?: ResultWrite[]): Promise<void>;
  /** Put a claimed message back, visible again after `delayMs` (0 = now, at the head). */
  requeue(delivery: Delivery, opts: { delayMs: number }): Promise<void>;
  /** Remove a claimed message from its queue and keep it in the dead-letter list with the reason. */
  deadLetter(delivery: Delivery, reason: string): Promise<void>;
  /**
   * Push back the visibility deadline of running deliveries: their visibility clock restarts at
   * `opts.now` (the worker passes `app.clock.now()`, as for `claim`; without it the adapter's
   * own clock), so a claim judged at a later `now` sees them expire `visibilityMs` after that.
   */
  extend?(deliveries: Delivery[], visibilityMs: number, opts?: ExtendOptions): Promise<void>;
  /** True when `ack(deliveries, results)` can store results for this backend. */
  storesResultsFor?(backend: ResultBackend): boolean;
  /** Read the dead-letter list (newest first). */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /**
   * Put up to `limit` dead letters (oldest first; only those of `queue` when given) back at
   * the tail of their queue and drop them from the list; resolves to how many moved.
   */
  redrive(opts: RedriveOptions): Promise<number>;
  /** Number of waiting (not delayed, not claimed) messages in a queue. */
  size(queue: string): Promise<number>;
  /** Optional: delete every waiting message of `queue` (all priority steps); resolves to how many went (`celery purge`). */
  purge?(queue: string): Promise<number>;
  /**
   * Optional: resolve when a claim on `queues` may find work (a message arrived, a delayed
   * message or an expired claim fell due) or the broker's own idle cap passed; reject when
   * `signal` aborts. `run()` calls it after an empty claim instead of sleeping `pollIntervalMs`,
   * so an idle worker costs no commands (TCP Redis: blocking `BLMOVE` + a wake channel).
   */
  waitForWork?(queues: string[], opts: WaitForWorkOptions): Promise<void>;
  /** Optional: the counts a monitor shows (`BrokerStats`) in one round trip, for the dashboard. */
  stats?(queues: string[]): Promise<BrokerStats>;
}

/** What `PullBroker.stats` reads in one round trip. Delayed and unacked span every queue (kombu keeps one `unacked` hash). */
export interface BrokerStats {
  /** Waiting messages (every priority step) of each queue asked for. */
  waiting: Record<string, number>;
  /** Messages waiting for their ETA or countdown. */
  delayed: number;
  /** Claimed and not acked yet (running, or lost until the visibility timeout restores them). */
  unacked: number;
  /** Entries in the dead-letter list. */
  dead: number;
}

/** Options of `PullBroker.extend`. */
export interface ExtendOptions {
  /** The caller's time (epoch ms, `app.clock.now()`); without it the adapter uses its own clock. */
  now?: number;
}

/** A stored record, as a `ResultBackend.watch` notification carries it. */
export interface RecordUpdate {
  taskId: string;
  meta: ResultMeta;
}

/** Options of `PullBroker.waitForWork`. */
export interface WaitForWorkOptions {
  /** The worker's visibility timeout (expired claims of dead workers are work too). */
  visibilityMs: number;
  signal?: AbortSignal;
}

/** An entry of the dead-letter list. */
export interface DeadLetter {
  payload: string;
  queue: string;
  reason: string;
  /** The message's priority (restored by `redrive`); absent in entries written before it was kept. */
  priority?: number;
  /** ISO instant. */
  at: string;
}

/** Options of `PullBroker.redrive`. */
export interface RedriveOptions {
  /** Move at most this many entries. */
  limit: number;
  /** Only entries that came from this queue (default: every queue). */
  queue?: string;
}

/**
 * Bounds of a pull broker's dead-letter list (broker option `deadLetters`): the oldest entries
 * go once there are more than `max`, and any entry older than `ttlSeconds`.
 */
export interface DeadLetterLimits {
  /** Entries kept (default 10 000). */
  max?: number;
  /** Seconds an entry is kept (default 7 days). */
  ttlSeconds?: number;
}

/** The defaults of `DeadLetterLimits`. */
export const DEAD_LETTER_DEFAULTS: Readonly<Required<DeadLetterLimits>> = { max: 10_000, ttlSeconds: 7 * 24 * 3600 };

/** `limits` with the defaults filled in; throws a `ConfigError` naming a bound that is not a positive number. */
export function deadLetterLimits(limits: DeadLetterLimits = {}): Required<DeadLetterLimits> {
  const out = { ...DEAD_LETTER_DEFAULTS, ...limits };
  for (const [k, v] of Object.entries(out)) {
    if (!(typeof v === "number" && v > 0)) throw new ConfigError(`deadLetters.${k} must be a positive number, got ${String(v)}`);
  }
  return { max: Math.floor(out.max), ttlSeconds: out.ttlSeconds };
}

/** True when the broker can be pulled from. */
export function isPullBroker(b: Broker): b is PullBroker {
  return typeof (b as PullBroker).claim === "function";
}

/**
 * The result store: a small key-value interface plus the atomic primitives the core needs.
 * Keys of task records are `celery-task-meta-<id>`; adapters add their own prefix.
 */
export interface ResultBackend {
  readonly name: string;
  /** The record of a task, or null (PENDING). */
  get(taskId: string): Promise<ResultMeta | null>;
  /** Records of many tasks in one round trip, in order. */
  mget(taskIds: string[]): Promise<(ResultMeta | null)[]>;
  /** Store records. A stored SUCCESS is never overwritten (Celery's guard). */
  set(writes: ResultWrite[]): Promise<void>;
  /** Delete records (`forget`). */
  delete(taskIds: string[]): Promise<void>;
  /** Set `key` to `value` only if it does not exist; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Delete a key set with `setIfAbsent` (release a claim whose work could not be sent). */
  release(key: string): Promise<void>;
  /** Record the size of a chord header (Celery `celery-taskset-meta-<gid>.s`). */
  chordSize(groupId: string, size: number, ttlMs: number): Promise<void>;
  /**
   * Record one finished chord header member (Celery `.j`, ordered by index) and, in the same
   * atomic step, compare the count with the size (plus `.t` extras). The call that makes the
   * count reach the size becomes the chord's firer (its index is recorded, celeriac's `.f`) and
   * receives every entry in index order; after that only the firer re-joining (a redelivery
   * after a crash or a failed body publish) receives them again, and every other call records
   * nothing and gets null. So among any number of members, concurrent or redelivered, exactly
   * one fires the body. The keys stay until `chordDone`.
   */
  chordJoin(groupId: string, index: number, entry: string, ttlMs: number): Promise<string[] | null>;
  /**
   * Delete a chord's join keys once its body (or its ChordError) has been sent, and mark the
   * chord done: a member joining later (a redelivery) records nothing and gets null.
   */
  chordDone(groupId: string): Promise<void>;
  /**
   * Optional: call `onChange` whenever the record of one of `taskIds` may have changed (Redis:
   * a message on its `celery-task-meta-<id>` channel, which Celery's backend publishes on every
   * store), with the new record when the notification carries it (then no read is needed), or
   * with nothing ("read again": after a reconnect, or a message it could not read). Resolves
   * once listening, so a read made after it misses no later change, to a function that stops
   * listening. `AsyncResult.get` / `GroupResult.get` use it instead of polling, with no periodic
   * re-read: an adapter that may have lost notifications says so with `onChange()`.
   */
  watch?(taskIds: string[], onChange: (update?: RecordUpdate) => void): Promise<() => Promise<void>>;
  close?(): Promise<void>;
  /** Store `celery-taskset-meta-<gid>` = JSON `record` (Celery's `GroupResult.save()`), replacing any. */
  saveGroup?(groupId: string, record: string, ttlMs: number): Promise<void>;
  /** The record `saveGroup` (or Python's `GroupResult.save()`) stored, or null. */
  restoreGroup?(groupId: string): Promise<unknown | null>;
  /**
   * Optional: keep `info` as worker `info.hostname`'s presence for `ttlMs` (replacing the last
   * one). Workers call it with every heartbeat (long-running) or at the end of a batch
   * (request-triggered), so monitors without a live event subscription (the dashboard,
   * `celeriac inspect` against request-triggered workers) can list workers.
   */
  recordWorker?(info: WorkerInfo, ttlMs: number): Promise<void>;
  /**
   * Optional: the most recently written task records, newest first, at most `limit` (records
   * that expired are left out). Adapters keep a capped index of ids written by `set`/`ack`
   * in the same round trip as the record, so a read is one round trip and no task pays an
   * extra request (Redis: a ZSET capped at `RECENT_MAX` ids).
   */
  recent?(limit: number): Promise<ResultMeta[]>;
  /** Optional: the presences `recordWorker` kept that have not expired, any order. */
  workers?(): Promise<WorkerInfo[]>;
}

/**
 * A worker as it last described itself: Celery's `worker-heartbeat` fields (what `celery
 * events` and Flower show) plus celeriac's own. Times are epoch **seconds** as in Celery.
 */
export interface WorkerInfo {
  hostname: string;
  /** When this was recorded (epoch s). */
  timestamp: number;
  /** Heartbeat period (s): the worker counts as online while `now < timestamp + 2 * freq`. */
  freq: number;
  /** Tasks running now. */
  active: number;
  /** Tasks finished since the worker started. */
  processed: number;
  pid?: number;
  sw_ident: string;
  sw_ver: string;
  sw_sys: string;
  /** Queues consumed. */
  queues: string[];
  /** `"loop"`: a long-running `run()`; `"request"`: request-triggered (`drain`, push). */
  mode: "loop" | "request";
  /** The running tasks, when known. */
  activeTasks?: { id: string; name: string; args?: unknown; kwargs?: unknown; time_start: number }[];
}
