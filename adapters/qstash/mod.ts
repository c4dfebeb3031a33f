/**
 * Push delivery through Upstash QStash: `qstashBroker` sends tasks to your worker's URL,
 * `qstashVerifier` checks each delivery's signature in `worker.fetch`. See docs/qstash.md.
 * @example
 * ```ts
 * const app = new Celeriac("tasks", {
 *   broker: qstashBroker({ token: env.QSTASH_TOKEN, workerUrl: "https://app.example.com/_celeriac/push" }),
 *   backend: upstashRedisBackend({ redis }),
 * });
 * export default { fetch: (req: Request) => app.worker({ http: { verify: qstashVerifier(env) } }).fetch(req) };
 * ```
 * @module
 */
export { ADAPTER, DEFAULT_MAX_DELAY_SECONDS, dedupId, qstashBroker, type QStashBrokerOptions } from "./broker.ts";
export { qstashVerifier, type QStashEnv, type QStashReceiverLike, type QStashReceiverOptions, type QStashVerifierOptions } from "./verifier.ts";
export type { QStashClientLike } from "./publisher.ts";
export { qstashBeatHandler, qstashBeatSchedule, type BeatHost, type QStashBeatScheduleOptions } from "./beat.ts";
