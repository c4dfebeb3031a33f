/**
 * Routes of the local QStash API over settings: schedules and queues.
 * @module
 */
import { BadRequest } from "./request.ts";
import { json, notFound, utf8, type Route } from "./respond.ts";

/** `/v2/schedules[/:id[/pause|/resume]]`. */
export const scheduling: Route = async (x) => {
  const { m, b, c, schedules } = x;
  if (m === "POST" && b && !/^(pause|resume)$/.test(c ?? "")) {
    const destination = x.dest.slice("schedules/".length);
    if (/^https?:/.test(destination)) return json(201, { scheduleId: schedules.create(destination, x.req.headers, await x.body()) });
  }
  if (m === "GET" && !b) return json(200, [...schedules.all.values()].map((s) => schedules.view(s)));
  const s = b ? schedules.all.get(b) : undefined;
  if (!s) return notFound(`schedule ${b}`);
  if (m === "GET" && !c) return json(200, schedules.view(s));
  if (m === "DELETE" && !c) return schedules.delete(s.scheduleId), json(200, {});
  if ((m === "PATCH" || m === "POST") && (c === "pause" || c === "resume")) return schedules.pause(s.scheduleId, c === "pause"), json(200, {});
  return null;
};

/** `/v2/queues[/:name[/pause|/resume]]`. */
export const queues: Route = async (x) => {
  const { m, b, c, engine } = x;
  const view = (name: string) => {
    const qq = engine.queue(name);
    const lag = [...engine.messages.values()].filter((msg) => msg.queueName === name).length;
    return { name: qq.name, parallelism: qq.parallelism, paused: qq.paused, lag, createdAt: qq.createdAt, updatedAt: qq.updatedAt };
  };
  if (m === "POST" && !b) {
    const r = JSON.parse(utf8.decode(await x.body())) as { queueName?: string; parallelism?: number; paused?: boolean };
    if (!r.queueName) throw new BadRequest("queueName is required");
    Object.assign(engine.queue(r.queueName), { parallelism: Math.max(1, Number(r.parallelism ?? 1)), paused: !!r.paused, updatedAt: engine.clock.now() });
    engine.pump();
    return json(200, {});
  }
  if (m === "GET" && !b) return json(200, [...engine.queues.keys()].map(view));
  if (m === "GET" && b) return engine.queues.has(b) ? json(200, view(b)) : notFound(`queue ${b}`);
  if (m === "DELETE" && b) return engine.queues.delete(b), json(200, {});
  if (m !== "POST" || !b || (c !== "pause" && c !== "resume")) return null;
  engine.queue(b).paused = c === "pause";
  engine.pump();
  return json(200, {});
};
