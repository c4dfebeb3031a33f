// Beat in a long-running process (Node, Bun or Deno), on the embedded memory adapters:
// `npx tsx examples/beat-node.ts`. Two "processes" tick the same schedule for ~5 s; each slot is
// still sent once, and a worker runs what beat sent. See docs/beat.md.
import { Celeriac } from "../mod.ts";
import { crontab } from "../src/beat/crontab.ts"; // public: `import { crontab, every } from "celeriac"`
import { every } from "../src/beat/schedule.ts";

const app = new Celeriac("beat-example");
app.conf.beatSchedule = {
  heartbeat: { task: "tasks.heartbeat", schedule: every("2s"), args: ["ping"] },
  minutely: { task: "tasks.heartbeat", schedule: crontab("* * * * *"), args: ["minute"] },
};
app.task("tasks.heartbeat", { bind: true }, (self, what: string) => {
  console.log(`ran ${what} for slot ${String(self.request.headers.beat_slot)} (id ${self.request.id})`);
});

// A second app on the same broker and backend stands in for a second process.
const twin = new Celeriac("beat-example", { broker: app.broker, backend: app.backend, conf: { beatSchedule: app.conf.beatSchedule } });

const ac = new AbortController();
setTimeout(() => ac.abort(), 5_000);
const onTick = (who: string) => (r: { sent: { entry: string; slot: Date }[] }): void => {
  for (const s of r.sent) console.log(`${who} sent ${s.entry} @ ${s.slot.toISOString()}`);
};
await Promise.all([
  app.beat.start({ signal: ac.signal, onTick: onTick("A") }),
  twin.beat.start({ signal: ac.signal, onTick: onTick("B") }),
  app.worker().run({ signal: ac.signal, pollIntervalMs: 200 }),
]);
