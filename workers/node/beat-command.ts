/**
 * `celeriac beat`: Celery's `celery -A proj beat` for the app exported by the user's module
 * (see docs/cli.md).
 * @module
 */
import { parseArgs } from "node:util";
import { APP_FLAG, COMMON, logError, setUp } from "./app-setup.ts";
import { numberFlag, UsageError, type Subcommand } from "./cli-kit.ts";
import { log } from "./log.ts";
import { stopOnSignals } from "./signals.ts";

/** `celeriac beat`: `app.beat.start` until SIGINT/SIGTERM, or one `app.beat.tick` with `--once`. */
export const beatCommand: Subcommand = {
  summary: "Send the periodic tasks of conf.beatSchedule: a loop, or one --once",
  usage: `celeriac beat -A MODULE[:EXPORT] [--interval MS] [--once]

${APP_FLAG}
  --interval MS              longest wait between ticks (default 60000; beat also wakes at each slot)
  --once                     tick once, print the TickReport as JSON, exit 0

Any number of beat processes (and other triggers) may run: each slot is sent once.
SIGINT/SIGTERM: stop after the current tick, exit 0; a second signal exits 130/143 at once.`,
  run: runBeat,
};

async function runBeat(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: { ...COMMON, interval: { type: "string" }, once: { type: "boolean" } },
  });
  if (v.once && v.interval !== undefined) throw new UsageError("--interval applies to the loop, not to --once");
  const intervalMs = numberFlag(v.interval, "--interval");
  const app = await setUp(v);
  if (v.once) {
    console.log(JSON.stringify(await app.beat.tick(new Date())));
    return 0;
  }
  const entries = Object.keys(app.conf.beatSchedule ?? {});
  console.error(
    `celeriac beat: app "${app.name}", broker ${app.broker.name}, backend ${app.backend.name}\n` +
      `  entries ${entries.join(", ") || "(none: conf.beatSchedule is empty)"}\nready (Ctrl+C: stop)`,
  );
  const stop = stopOnSignals("beat", "stopping after the current tick");
  let code = 0;
  await app.beat.start({
    signal: stop.signal,
    intervalMs,
    onTick: (r) => r.sent.forEach((s) => log(`beat: sent ${s.entry} (${s.task}) id ${s.taskId} slot ${s.slot.toISOString()}`)),
    onError: (err) => {
      logError("beat")(err);
      // tick validates the whole schedule first: a ConfigError would recur on every tick.
      if ((err as Error)?.name === "ConfigError") {
        code = 1;
        stop.abort();
      }
    },
  });
  if (code === 0) log("beat: stopped");
  return code;
}

