/**
 * Beat over QStash schedules: one QStash schedule (`Upstash-Cron`, every minute by default)
 * POSTs to your tick route, whose handler verifies the signature and calls `app.beat.tick()`.
 * Beat still claims each slot once, so a retried or duplicated delivery sends nothing twice.
 * @module
 */
import type { TickReport } from "../../src/beat/beat.ts";
import { ConfigError, SignatureError } from "../../src/errors.ts";
import { DEFAULT_BASE_URL, guarded, qstashCall } from "./http.ts";
import { clientPublisher, fetchPublisher, type QStashClientLike } from "./publisher.ts";

/** Options of `qstashBeatSchedule`. */
export interface QStashBeatScheduleOptions {
  /** QStash token (`QSTASH_TOKEN`); not needed with `client`. */
  token?: string;
  /** Your tick route (served by `qstashBeatHandler`). */
  tickUrl: string;
  baseUrl?: string;
  /** QStash cron (POSIX, UTC unless `CRON_TZ=`; default every minute). */
  cron?: string;
  /** Fixed id, so running this again updates the schedule instead of adding one (default `celeriac-beat`). */
  scheduleId?: string;
  /** Create it through this official `@upstash/qstash` `Client` instead of `fetch`. */
  client?: QStashClientLike;
  /** Deadline of the call in ms (default 10 000) → `AdapterError{retryable:true}`. */
  timeoutMs?: number;
}

/** Create or update the QStash schedule that drives beat; returns its id. */
export async function qstashBeatSchedule(o: QStashBeatScheduleOptions): Promise<string> {
  if (!o.client && !o.token) throw new ConfigError("qstashBeatSchedule needs { token } (QSTASH_TOKEN) or { client }");
  const endpoint = o.baseUrl ?? DEFAULT_BASE_URL;
  const via = o.client ? clientPublisher(o.client) : fetchPublisher(qstashCall(o.token!, endpoint));
  const req = { destination: o.tickUrl, cron: o.cron ?? "* * * * *", scheduleId: o.scheduleId ?? "celeriac-beat" };
  return guarded("schedule create", endpoint, o.timeoutMs ?? 10_000, (signal) => via.schedule(req, signal));
}

/** What the tick handler needs of an app. */
export interface BeatHost {
  readonly beat: { tick(now?: Date | number): Promise<TickReport> };
}

/**
 * The tick route: `verify` (e.g. `qstashVerifier(env)`) first, 401 on a bad signature, then one
 * `beat.tick()`; answers the tick report. 503 when sending failed (QStash retries the tick).
 */
export function qstashBeatHandler(
  app: BeatHost,
  opts: { verify: (req: Request) => Promise<string>; /** Epoch ms of the tick (default `Date.now`). */ now?: () => number },
): (req: Request) => Promise<Response> {
  if (typeof opts?.verify !== "function") throw new ConfigError("qstashBeatHandler needs { verify } (e.g. qstashVerifier(env))");
  return async (req) => {
    if (req.method !== "POST") return Response.json({ error: "use POST" }, { status: 405 });
    try {
      await opts.verify(req);
    } catch (err) {
      return Response.json({ error: err instanceof SignatureError ? err.message : "request verification failed" }, { status: 401 });
    }
    try {
      return Response.json(await app.beat.tick(opts.now ? opts.now() : Date.now()));
    } catch (err) {
      return Response.json({ error: `beat tick failed: ${String((err as Error)?.message ?? err).slice(0, 300)}` }, { status: 503 });
    }
  };
}
