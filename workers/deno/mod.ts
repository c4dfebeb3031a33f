/**
 * Deno: `serve(app, { hono })` = `Deno.serve` for the Hono app, the worker loop, and beat on
 * `Deno.cron` (run with `--unstable-cron`; without it beat ticks on a timer).
 * @example
 * ```ts
 * import { serve } from "jsr:@celeriac/celeriac/workers/deno";
 * serve(app, { hono: api, port: 8000 });
 * ```
 * @module
 */
import type { Celeriac } from "../../src/app.ts";
import { background, handlerOf, linkedController, type Served, type ServeOptions } from "../background.ts";

export type { Served, ServeOptions } from "../background.ts";

interface DenoLike {
  serve(opts: { port?: number; hostname?: string; signal?: AbortSignal; onListen?: (a: { hostname: string; port: number }) => void }, handler: (r: Request) => Response | Promise<Response>): { finished: Promise<void> };
  cron?(name: string, schedule: string, opts: { signal?: AbortSignal }, handler: () => Promise<void>): Promise<void>;
}

/** Serve `app` on Deno; resolves once listening. */
export async function serve(app: Celeriac, opts: ServeOptions & { cron?: string } = {}): Promise<Served> {
  const D = (globalThis as unknown as { Deno: DenoLike }).Deno;
  const ctrl = linkedController(opts.signal);
  const useCron = opts.beat !== false && typeof D.cron === "function";
  // Deno.cron must be registered before Deno.serve (Deno Deploy reads crons at startup).
  const cron = useCron ? D.cron!(`celeriac-beat-${app.name}`.slice(0, 64), opts.cron ?? "* * * * *", { signal: ctrl.signal }, async () => {
    await app.beat.tick();
  }) : Promise.resolve();
  let url = "";
  let done: Promise<unknown> = Promise.resolve();
  const listening = new Promise<void>((resolve) => {
    const server = D.serve({
      port: opts.port ?? 8000, hostname: opts.hostname ?? "0.0.0.0", signal: ctrl.signal,
      onListen: ({ hostname, port }) => (url = `http://${hostname}:${port}`, resolve()),
    }, handlerOf(opts));
    done = Promise.all([server.finished, cron, background(app, opts, ctrl.signal, !useCron)]);
  });
  await listening;
  return { url, stop: async () => void (ctrl.abort(), await done) };
}
