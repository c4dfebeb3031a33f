/**
 * Records of the local QStash server (shapes of the QStash v2 API: messages, DLQ entries,
 * schedules, queues) and its options.
 * @module
 */
import type { Clock } from "./clock.ts";

/** The official dev server's fixed, public credentials (`qstash dev`, the SDK's QSTASH_DEV mode). */
export const DEV_CREDENTIALS = {
  token: "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=",
  currentSigningKey: "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r",
  nextSigningKey: "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs",
} as const;

/** Options of `createQStashDev`. */
export interface QStashDevOptions {
  /** Bearer token clients must send (default the dev token). */
  token?: string;
  /** Key deliveries are signed with (default the dev current key). */
  currentSigningKey?: string;
  /** Returned by `GET /v2/keys` as `next` (default the dev next key). */
  nextSigningKey?: string;
  /** Scheduler time (default the real clock); a `ManualClock` lets tests step through delays. */
  clock?: Clock;
  /** Epoch ms used for signature `iat` (default `Date.now`: receivers check it against their clock). */
  signingNow?: () => number;
  /** Multiplies QStash's retry backoff `min(86400, e^(2.5n))` s (default 1; tests use e.g. 0.001). */
  retryDelayScale?: number;
  /** Retries when a message has no `Upstash-Retries` (default 3, as QStash). */
  defaultRetries?: number;
  /** Per-attempt timeout when a message has no `Upstash-Timeout` (default 30 000 ms). */
  deliveryTimeoutMs?: number;
  /** How long a deduplication id is remembered (default 10 min). */
  dedupWindowMs?: number;
  /** Largest accepted request body (default 10 MiB). */
  maxBodyBytes?: number;
  /** Delivery transport (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

/** A message waiting for (or between) delivery attempts. */
export interface Message {
  messageId: string;
  url: string;
  method: string;
  /** Headers delivered to the destination (forwarded ones unprefixed, plus Content-Type). */
  header: Record<string, string[]>;
  body: Uint8Array;
  maxRetries: number;
  retried: number;
  notBefore: number;
  createdAt: number;
  timeoutMs: number;
  callback?: string;
  failureCallback?: string;
  queueName?: string;
  scheduleId?: string;
  flowControlKey?: string;
  parallelism?: number;
  label?: string;
  dedupKey?: string;
  /** Internal: it holds a queue/flow-control slot until it is final. */
  slot?: string;
  /** Internal: cancels its pending wake-up. */
  unwake?: () => void;
}

/** A message that failed for good, as `GET /v2/dlq` lists it. */
export interface DlqEntry {
  dlqId: string;
  message: Message;
  responseStatus: number;
  responseHeader: Record<string, string[]>;
  responseBody: string;
}

/** A schedule (`POST /v2/schedules/<destination>` with `Upstash-Cron`). */
export interface Schedule {
  scheduleId: string;
  cron: string;
  destination: string;
  /** The publish request each run sends again. */
  headers: [string, string][];
  body: Uint8Array;
  createdAt: number;
  isPaused: boolean;
  lastScheduleTime?: number;
  nextScheduleTime?: number;
  unwake?: () => void;
}

/** A queue (`/v2/queues`, `/v2/enqueue/<queue>/...`). */
export interface Queue {
  name: string;
  parallelism: number;
  paused: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What the engine counted (for benchmarks and tests). */
export interface EngineStats {
  published: number;
  attempts: number;
  delivered: number;
  retries: number;
  deadLettered: number;
}
