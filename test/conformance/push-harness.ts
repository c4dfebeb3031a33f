/**
 * The push path end to end: apps send through `qstashBroker` to the local QStash server, which
 * delivers signed over real HTTP to each app's `worker.fetch` (verified by `qstashVerifier`),
 * which stores results in a real Redis through the local Upstash endpoint. Runs in-process on
 * Node, Deno and Bun. QStash's redelivery backoff is scaled down (12 s → 12 ms).
 */
import { Celeriac, type CeleriacConf, type WorkerOptions } from "../../mod.ts";
import { qstashBroker, qstashVerifier, type QStashBrokerOptions } from "../../adapters/qstash/mod.ts";
import { upstashRedisBackend } from "../../adapters/upstash-redis/mod.ts";
import { startQStashDev, type QStashDevServer } from "../../workers/node/qstash-dev.ts";
import type { ManualClock } from "../../workers/qstash-dev/mod.ts";
import { serveFetch, type Served } from "../../workers/node/http-bridge.ts";
import type { ResultBackend } from "../../src/ports.ts";
import { startUpstash, type UpstashEnv } from "../support/upstash.ts";

/** Options of one push app. */
export interface PushAppOptions {
  conf?: Partial<CeleriacConf>;
  worker?: WorkerOptions;
  broker?: Partial<QStashBrokerOptions>;
  /** Wrap the backend (fault injection). */
  backend?: (b: ResultBackend) => ResultBackend;
}

/** A running push environment. */
export interface PushEnv {
  upstash: UpstashEnv;
  qstash: QStashDevServer;
  endpoint: Served;
  /** A fresh app (own key prefix, own push route); its worker is built on the first delivery. */
  app(opts?: PushAppOptions): Celeriac;
  /** The push route URL of an app made by `app()`. */
  urlOf(app: Celeriac): string;
  /** Resolves when QStash has nothing due in flight and no worker request is running. */
  settled(): Promise<void>;
  /** Resolves when no QStash delivery is in flight and no worker request runs (held messages may remain). */
  settledNow(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Start Redis + the Upstash endpoint, the local QStash and the HTTP endpoint for workers. With
 * `clock`, QStash's delays and every app's time follow it (the test calls `advance`).
 */
export async function startPush(name: string, opts: { retryDelayScale?: number; clock?: ManualClock } = {}): Promise<PushEnv> {
  const upstash = await startUpstash(name);
  const qstash = await startQStashDev({ port: 0, retryDelayScale: opts.retryDelayScale ?? 0.001, clock: opts.clock });
  const routes = new Map<string, (req: Request) => Promise<Response>>();
  const urls = new WeakMap<Celeriac, string>();
  let running = 0;
  const endpoint = await serveFetch(async (req) => {
    const route = routes.get(new URL(req.url).pathname);
    if (!route) return new Response("no such push route", { status: 404 });
    running++;
    try {
      return await route(req);
    } finally {
      running--;
    }
  });
  const redis = upstash.client();
  const keys = qstash.credentials;
  let n = 0;
  return {
    upstash, qstash, endpoint,
    app(o = {}) {
      const path = `/push/${++n}`;
      const workerUrl = endpoint.url + path;
      const broker = qstashBroker({ token: keys.token, baseUrl: qstash.url, workerUrl, ...o.broker });
      const raw = upstashRedisBackend({ redis, prefix: upstash.prefix("push") });
      const app = new Celeriac("push", { broker, backend: o.backend ? o.backend(raw) : raw, conf: o.conf, clock: opts.clock });
      const verify = qstashVerifier({ currentSigningKey: keys.currentSigningKey, nextSigningKey: keys.nextSigningKey });
      let worker: ReturnType<Celeriac["worker"]> | undefined;
      routes.set(path, (req) => (worker ??= app.worker({ ...o.worker, http: { verify, ...o.worker?.http } })).fetch(req));
      urls.set(app, workerUrl);
      return app;
    },
    urlOf: (app) => urls.get(app)!,
    async settled() {
      for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
        await qstash.idle();
        if (!running && !qstash.engine.messages.size) return;
      }
      throw new Error(`push deliveries not settled within 30 s (${qstash.engine.messages.size} pending, ${running} running)`);
    },
    async settledNow() {
      for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
        await qstash.idle();
        if (!running) return;
      }
      throw new Error(`push deliveries still running after 30 s (${running} running)`);
    },
    async close() {
      await endpoint.close();
      await qstash.stop();
      await upstash.close();
    },
  };
}
