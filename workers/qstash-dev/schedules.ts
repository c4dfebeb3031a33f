/**
 * Schedules of the local QStash server: `Upstash-Cron` (5 fields, optional `CRON_TZ=<zone> `
 * prefix, UTC by default) evaluated with croner on the server's clock; each run publishes the
 * schedule's request again (into its `Upstash-Queue-Name` queue when given).
 * @module
 */
import { Cron } from "croner";
import type { Engine } from "./engine.ts";
import { BadRequest, toMessage } from "./request.ts";
import type { Schedule } from "./types.ts";

function parseCron(text: string): Cron {
  const m = /^CRON_TZ=(\S+)\s+(.*)$/.exec(text.trim());
  try {
    return new Cron(m ? m[2]! : text.trim(), { mode: "5-part", domAndDow: true, timezone: m ? m[1] : "UTC", paused: true });
  } catch (err) {
    throw new BadRequest(`invalid Upstash-Cron ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}

/** The schedules of one server. */
export class Schedules {
  readonly all = new Map<string, Schedule>();

  constructor(private readonly engine: Engine) {}

  /** Create (or replace, same `Upstash-Schedule-Id`) a schedule; returns its id. */
  create(destination: string, headers: Headers, body: Uint8Array): string {
    const cronText = headers.get("upstash-cron");
    if (!cronText) throw new BadRequest("Upstash-Cron header is required");
    parseCron(cronText);
    if (!/^https?:\/\/[^/]/.test(destination)) throw new BadRequest(`invalid destination ${JSON.stringify(destination)}`);
    const scheduleId = headers.get("upstash-schedule-id") ?? this.engine.id("scd");
    this.delete(scheduleId);
    const s: Schedule = {
      scheduleId, cron: cronText, destination, headers: [...headers], body, createdAt: this.engine.clock.now(), isPaused: false,
    };
    this.all.set(scheduleId, s);
    this.arm(s);
    return scheduleId;
  }

  delete(id: string): boolean {
    const s = this.all.get(id);
    s?.unwake?.();
    return this.all.delete(id);
  }

  pause(id: string, paused: boolean): boolean {
    const s = this.all.get(id);
    if (!s) return false;
    s.isPaused = paused;
    if (paused) {
      s.unwake?.();
      s.unwake = undefined;
      s.nextScheduleTime = undefined;
    } else this.arm(s);
    return true;
  }

  /** The schedule in the API's shape. */
  view(s: Schedule): Record<string, unknown> {
    const h = new Headers(s.headers);
    const header: Record<string, string[]> = {};
    for (const [k, v] of h) if (k.startsWith("upstash-forward-")) header[k.slice(16)] = [v];
    return {
      scheduleId: s.scheduleId, cron: s.cron, createdAt: s.createdAt, destination: s.destination,
      method: h.get("upstash-method") ?? "POST", header, body: new TextDecoder().decode(s.body),
      retries: Number(h.get("upstash-retries") ?? this.engine.opts.defaultRetries ?? 3), isPaused: s.isPaused,
      callerIp: "127.0.0.1",
      ...(h.get("upstash-queue-name") ? { queueName: h.get("upstash-queue-name") } : {}),
      ...(h.get("upstash-callback") ? { callback: h.get("upstash-callback") } : {}),
      ...(s.lastScheduleTime ? { lastScheduleTime: s.lastScheduleTime } : {}),
      ...(s.nextScheduleTime ? { nextScheduleTime: s.nextScheduleTime } : {}),
    };
  }

  private arm(s: Schedule): void {
    const next = parseCron(s.cron).nextRun(new Date(this.engine.clock.now()))?.getTime();
    if (next == null) return;
    s.nextScheduleTime = next;
    s.unwake = this.engine.clock.wake(next, () => this.engine.track(this.fire(s, next)));
  }

  private async fire(s: Schedule, at: number): Promise<void> {
    if (this.all.get(s.scheduleId) !== s || s.isPaused) return;
    s.lastScheduleTime = at;
    const headers = new Headers(s.headers);
    headers.delete("upstash-deduplication-id");
    const e = this.engine;
    const queueName = headers.get("upstash-queue-name") ?? undefined;
    // Arm the next run first: a slow publish must not shift the cadence.
    this.arm(s);
    const msg = await toMessage(s.destination, headers, s.body, {
      now: e.clock.now(), id: e.id("msg"), retries: e.opts.defaultRetries ?? 3,
      timeoutMs: e.opts.deliveryTimeoutMs ?? 30_000, queueName, scheduleId: s.scheduleId,
    });
    e.add(msg);
  }
}
