/**
 * Bun: `serve(app, { hono })` = `Bun.serve` for the Hono app, the worker loop, and beat on a
 * timer (`app.beat.start`, waking at every slot).
 * @example
 * ```ts
 * import { serve } from "celeriac/workers/bun";
 * await serve(app, { hono: api, port: 3000 });
 * ```
 * @module
 */
import type { Celeriac } from "../../src/app.ts";
import { background, handlerOf, linkedController, type Served, type ServeOptions } from "../background.ts";

export type { Served, ServeOptions } from "../background.ts";

interface BunLike {
  serve(opts: { port?: number; hostname?: string; fetch: (r: Request) => Response | Promise<Response> }): { url: URL; stop(closeActive?: boolean): Promise<void> };
}

/** Serve `app` on Bun. */
export async function serve(app: Celeriac, opts: ServeOptions = {}): Promise<Served> {
  const B = (globalThis as unknown as { Bun: BunLike }).Bun;
  const ctrl = linkedController(opts.signal);
  const server = B.serve({ port: opts.port ?? 8000, hostname: opts.hostname ?? "0.0.0.0", fetch: handlerOf(opts) });
  const work = background(app, opts, ctrl.signal);
  const stop = async (): Promise<void> => {
    ctrl.abort();
    await Promise.all([server.stop(), work]);
  };
  ctrl.signal.addEventListener("abort", () => void server.stop(), { once: true });
  return { url: server.url.origin, stop };
}
