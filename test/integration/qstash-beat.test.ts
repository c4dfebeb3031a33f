import { afterAll, beforeAll, expect, it } from "vitest";
import { Celeriac, every } from "../../mod.ts";
import { memoryBackend } from "../../adapters/memory/mod.ts";
import { qstashBeatHandler, qstashBeatSchedule, qstashBroker, qstashVerifier } from "../../adapters/qstash/mod.ts";
import { ManualClock } from "../../workers/qstash-dev/mod.ts";
import { startQStashDev, type QStashDevServer } from "../../workers/node/qstash-dev.ts";
import { serveFetch, type Served } from "../../workers/node/http-bridge.ts";

// Beat driven by a QStash schedule: the local QStash (manual clock) POSTs to the tick route,
// beat sends due entries through the QStash broker, and QStash pushes them to worker.fetch.
let q: QStashDevServer;
let web: Served;
let app: Celeriac;
let tickNow = Date.UTC(2026, 11, 1, 12, 0, 5);
const runs: string[] = [];
const clock = new ManualClock(Date.UTC(2026, 11, 1, 12, 0, 0));

beforeAll(async () => {
  q = await startQStashDev({ port: 0, clock });
  const routes: Record<string, (r: Request) => Promise<Response>> = {};
  web = await serveFetch((req) => routes[new URL(req.url).pathname]?.(req) ?? Promise.resolve(new Response("", { status: 404 })));
  const keys = q.credentials;
  app = new Celeriac("beat-qstash", { broker: qstashBroker({ token: keys.token, baseUrl: q.url, workerUrl: `${web.url}/push` }), backend: memoryBackend() });
  app.task("tasks.report", { bind: true }, (self) => void runs.push(self.request.id));
  app.conf.beatSchedule = { report: { task: "tasks.report", schedule: every("5m") } };
  const verify = qstashVerifier({ currentSigningKey: keys.currentSigningKey, nextSigningKey: keys.nextSigningKey });
  routes["/push"] = (req) => app.worker({ http: { verify } }).fetch(req);
  routes["/tick"] = qstashBeatHandler(app, { verify, now: () => tickNow });
});

afterAll(async () => {
  await q?.stop();
  await web?.close();
});

it("a QStash schedule ticks beat every minute; beat sends each slot once; unsigned ticks get 401", async () => {
  const id = await qstashBeatSchedule({ token: q.credentials.token, baseUrl: q.url, tickUrl: `${web.url}/tick` });
  expect(id).toBe("celeriac-beat");
  expect(await qstashBeatSchedule({ token: q.credentials.token, baseUrl: q.url, tickUrl: `${web.url}/tick` })).toBe(id);
  expect(q.schedules.all.size).toBe(1);
  const settle = async () => {
    for (let i = 0; i < 3; i++) await q.idle();
  };
  // Minute 1: the first tick sends the 12:00 slot.
  clock.advance(60_000);
  await settle();
  expect(runs).toHaveLength(1);
  // Minutes 2 and 3 in the same 5-minute slot: ticks, but nothing new is sent.
  tickNow += 60_000;
  clock.advance(60_000);
  await settle();
  tickNow += 60_000;
  clock.advance(60_000);
  await settle();
  expect(runs).toHaveLength(1);
  expect(q.stats.delivered).toBeGreaterThanOrEqual(4);
  // The next slot (12:05) is sent once.
  tickNow = Date.UTC(2026, 11, 1, 12, 5, 1);
  clock.advance(60_000);
  await settle();
  expect(runs).toHaveLength(2);
  const forged = await fetch(`${web.url}/tick`, { method: "POST", body: "" });
  expect(forged.status).toBe(401);
  expect(runs).toHaveLength(2);
});
