/**
 * Node: `serve(app, { hono })` = the Hono app on `node:http` through `@hono/node-server`
 * (install it next to hono), the worker loop, and beat on a timer.
 * @example
 * ```ts
 * import { serve } from "celeriac/workers/node";
 * await serve(app, { hono: api, port: 3000 });
 * ```
 * @module
 */
import type { AddressInfo } from "node:net";
import { serve as nodeServe } from "@hono/node-server";
import type { Celeriac } from "../../src/app.ts";
import { background, handlerOf, linkedController, type Served, type ServeOptions } from "../background.ts";

export type { Served, ServeOptions } from "../background.ts";

/** Serve `app` on Node; resolves once listening. */
export async function serve(app: Celeriac, opts: ServeOptions = {}): Promise<Served> {
  const ctrl = linkedController(opts.signal);
  const hostname = opts.hostname ?? "0.0.0.0";
  let addr: AddressInfo | undefined;
  const server = await new Promise<ReturnType<typeof nodeServe>>((resolve) => {
    const s = nodeServe({ fetch: handlerOf(opts), port: opts.port ?? 8000, hostname }, (info) => {
      addr = info;
      resolve(s);
    });
  });
  const closed = new Promise<void>((resolve) => ctrl.signal.addEventListener("abort", () => server.close(() => resolve()), { once: true }));
  const work = background(app, opts, ctrl.signal);
  const host = addr!.family === "IPv6" ? `[${addr!.address}]` : addr!.address;
  return {
    url: `http://${host}:${addr!.port}`,
    stop: async () => {
      ctrl.abort();
      await Promise.all([closed, work]);
    },
  };
}
