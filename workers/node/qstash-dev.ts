/**
 * The local QStash server on a Node http port (default 8080, the official dev server's), for
 * `celeriac dev --qstash-port` and tests. The logic is in workers/qstash-dev (web-standard).
 * @module
 */
import { createQStashDev, type QStashDev, type QStashDevOptions } from "../qstash-dev/mod.ts";
import { serveFetch } from "./http-bridge.ts";

/** A local QStash listening on a port. */
export interface QStashDevServer extends QStashDev {
  /** `http://127.0.0.1:<port>` (give it to the Client as `baseUrl`). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Start the server; `port: 0` picks a free port. */
export async function startQStashDev(opts: QStashDevOptions & { port?: number; host?: string } = {}): Promise<QStashDevServer> {
  const dev = createQStashDev(opts);
  const served = await serveFetch((req) => dev.fetch(req), { port: opts.port ?? 8080, host: opts.host });
  return {
    fetch: dev.fetch, clock: dev.clock, engine: dev.engine, schedules: dev.schedules, credentials: dev.credentials,
    get stats() {
      return dev.stats;
    },
    resetStats: dev.resetStats, idle: dev.idle, close: dev.close,
    url: served.url, port: served.port,
    stop: async () => {
      dev.close();
      await served.close();
    },
  };
}
