/**
 * A local QStash-compatible server, web-standard (runs in-process on Node, Deno and Bun):
 * `createQStashDev(opts).fetch` answers the QStash v2 API the official `@upstash/qstash`
 * Client calls, and delivers messages signed over real HTTP. Serve it with
 * workers/node/qstash-dev.ts (`celeriac dev --qstash-port`) or any `fetch`-style server.
 * @module
 */
import { apiHandler } from "./api.ts";
import type { Clock } from "./clock.ts";
import { Engine, type EngineStats } from "./engine.ts";
import { Schedules } from "./schedules.ts";
import { DEV_CREDENTIALS, type QStashDevOptions } from "./types.ts";

export { ManualClock, realClock, type Clock } from "./clock.ts";
export { backoffMs } from "./delivery.ts";
export { signJwt, bodyHash } from "./sign.ts";
export { DEV_CREDENTIALS, type QStashDevOptions } from "./types.ts";

/** A running local QStash. */
export interface QStashDev {
  /** The API as a web-standard handler. */
  fetch(req: Request): Promise<Response>;
  readonly clock: Clock;
  readonly engine: Engine;
  readonly schedules: Schedules;
  /** Counts since start (or `resetStats`), plus API requests by route. */
  readonly stats: EngineStats & { requests: number };
  resetStats(): void;
  /** Resolves when no message is due now or being delivered. */
  idle(): Promise<void>;
  /** The token and signing keys in use. */
  readonly credentials: { token: string; currentSigningKey: string; nextSigningKey: string };
  /** Cancel every pending delivery and schedule. */
  close(): void;
}

/** Create a server (no port: hand `fetch` to a server of your runtime). */
export function createQStashDev(opts: QStashDevOptions = {}): QStashDev {
  const engine = new Engine(opts);
  const schedules = new Schedules(engine);
  const api = apiHandler(engine, schedules);
  let requests = 0;
  return {
    fetch: (req) => (requests++, api(req)),
    clock: engine.clock, engine, schedules,
    get stats() {
      return { ...engine.stats, requests };
    },
    resetStats() {
      requests = 0;
      for (const k of Object.keys(engine.stats) as (keyof EngineStats)[]) engine.stats[k] = 0;
    },
    idle: () => engine.idle(),
    credentials: {
      token: opts.token ?? DEV_CREDENTIALS.token,
      currentSigningKey: opts.currentSigningKey ?? DEV_CREDENTIALS.currentSigningKey,
      nextSigningKey: opts.nextSigningKey ?? DEV_CREDENTIALS.nextSigningKey,
    },
    close() {
      for (const id of [...engine.messages.keys()]) engine.cancel(id);
      for (const id of [...schedules.all.keys()]) schedules.delete(id);
    },
  };
}
