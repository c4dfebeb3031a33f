/**
 * Beat over QStash schedules: one QStash schedule (`Upstash-Cron`, every minute by default)
 * POSTs to your tick route, whose handler verifies the signature and calls `app.beat.tick()`.
 * Beat still claims each slot once, so a retried or duplicated delivery sends nothing twice.
 * @module
 */
import { Client } from "@upstash/qstash";
import { AdapterError, ConfigError, SignatureError } from "../../src/errors.ts";
import type { TickReport } from "../../src/beat/beat.ts";

/** Options of `qstashBeatSchedule`. */
export interface QStashBeatScheduleOptions {
  token: string;
  /** Your tick route (served by `qstashBeatHandler`). */
  tickUrl: string;
  baseUrl?: string;
  /** QStash cron (POSIX, UTC unless `CRON_TZ=`; default every minute). */
  cron?: string;
  /** Fixed id, so running this again updates the schedule instead of adding one (default `celeriac-beat`). */
  scheduleId?: string;
  client?: Client;
}

/** Create or update the QStash schedule that drives beat; returns its id. */
export async function qstashBeatSchedule(o: QStashBeatScheduleOptions): Promise<string> {
  const client = o.client ?? new Client({ token: o.token, baseUrl: o.baseUrl, enableTelemetry: false });
  try {
    const r = await client.schedules.create({
      destination: o.tickUrl, cron: o.cron ?? "* * * * *", scheduleId: o.scheduleId ?? "celeriac-beat", body: "",
    });
    return r.scheduleId;
  } catch (cause) {
    throw new AdapterError("qstash", `schedule create at ${o.baseUrl ?? "https://qstash.upstash.io"} failed: ${String((cause as Error)?.message ?? cause).slice(0, 200)}`, { cause });
  }
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
