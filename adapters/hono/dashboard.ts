/**
 * `dashboard(app, opts)`: a Hono sub-app serving a monitoring page (queues, workers, recent
 * tasks with progress, dead letters) with revoke and redrive. Server-rendered HTML plus one
 * inline script; nothing is loaded from elsewhere.
 * @example
 * ```ts
 * api.route("/celeriac", dashboard(app, { auth: bearer(env.ADMIN_TOKEN) }));
 * ```
 * @module
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Celeriac } from "../../src/app.ts";
import { AdapterError, ConfigError } from "../../src/errors.ts";
import { isPullBroker } from "../../src/ports.ts";
import type { Auth } from "./auth.ts";
import { snapshot, type Snapshot, type SnapshotLimits } from "./dashboard-data.ts";
import { renderLive, renderPage } from "./dashboard-html.ts";
import { fail, json } from "./routes.ts";

/** Options of `dashboard(app, opts)`. */
export interface DashboardOptions extends SnapshotLimits {
  /** Guards every route (page, fragment, JSON, actions), e.g. `bearer(token)` or `basic(user, password)`. */
  auth?: Auth;
  /** Serve without `auth` (local development only). Without `auth` and without this, `dashboard()` throws. */
  insecure?: boolean;
  /** Path the sub-app is mounted at, for the page's own requests (default: read from the page's URL). */
  basePath?: string;
  /** How often the page refreshes, ms (default 2000, at least 250). */
  pollMs?: number;
}

/** The header every POST must carry (a cross-site form cannot set it; cross-origin fetch would need CORS we never grant). */
export const CSRF_HEADER = "x-celeriac-dashboard";

const MAX_ID = 255;

/** A random CSP nonce. */
function nonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replace(/[+/=]/g, "");
}

const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store",
  "x-frame-options": "DENY",
};

function html(body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { headers: { "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS, ...extra } });
}

/**
 * Same-origin check for POSTs: the custom header must be present, `Origin` (when sent) must be
 * this host (`Host` or `X-Forwarded-Host`), and `Sec-Fetch-Site` (when sent) `same-origin`.
 */
export function csrfRefusal(request: Request): string | null {
  if (request.headers.get(CSRF_HEADER) !== "1") return `missing ${CSRF_HEADER} header`;
  const site = request.headers.get("sec-fetch-site");
  if (site && site !== "same-origin") return `cross-site request (${site})`;
  const origin = request.headers.get("origin");
  if (origin) {
    // This host as the browser sees it: Host, or the one a reverse proxy forwarded.
    const hosts = [request.headers.get("host") ?? new URL(request.url).host, request.headers.get("x-forwarded-host")];
    let from: string;
    try {
      from = new URL(origin).host;
    } catch {
      return "bad Origin header";
    }
    if (!hosts.includes(from)) return "cross-origin request";
  }
  return null;
}

/** The monitoring sub-app; mount it with `api.route("/celeriac", dashboard(app, { auth }))`. */
export function dashboard(app: Celeriac, opts: DashboardOptions = {}): Hono {
  const { auth } = opts;
  if (!auth && opts.insecure !== true) {
    throw new ConfigError("[hono] dashboard: give auth (e.g. bearer(env.ADMIN_TOKEN)), or insecure: true for local development");
  }
  const pollMs = Math.max(250, Math.floor(opts.pollMs ?? 2000));
  if (!Number.isFinite(pollMs)) throw new ConfigError(`[hono] dashboard: pollMs must be a number, got ${String(opts.pollMs)}`);
  for (const k of ["tasks", "deadLetters"] as const) {
    const n = opts[k];
    if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 1000)) throw new ConfigError(`[hono] dashboard: ${k} must be an integer 1–1000, got ${String(n)}`);
  }
  const limits: SnapshotLimits = { queues: opts.queues, tasks: opts.tasks, deadLetters: opts.deadLetters };
  const challenge = (auth as { challenge?: string } | undefined)?.challenge ?? "Bearer";
  const ui = new Hono();
  ui.use("*", async (c, next) => {
    if (auth && !(await auth(c.req.raw))) return fail(401, "unauthorized", {}, { "www-authenticate": challenge, ...SECURITY_HEADERS });
    if (c.req.method === "POST") {
      const refused = csrfRefusal(c.req.raw);
      if (refused) return fail(403, refused, {}, SECURITY_HEADERS);
    }
    await next();
  });
  // The page's own path, trailing slashes dropped and leading ones collapsed ("//x" is another host to fetch()).
  const base = (c: Context): string => (opts.basePath ?? new URL(c.req.url).pathname).replace(/\/+$/, "").replace(/^\/+/, "/");
  // A store that is down answers 503 with the adapter's message (no secrets in it); the page shows it stale.
  const guarded = async (fn: () => Promise<Response>): Promise<Response> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AdapterError) return fail(503, err.message, {}, { "retry-after": "5", ...SECURITY_HEADERS });
      throw err;
    }
  };
  const read = (render: (snap: Snapshot) => Response): Promise<Response> => guarded(async () => render(await snapshot(app, limits)));
  ui.get("/", (c) => {
    const n = nonce();
    const csp = `default-src 'none'; script-src 'nonce-${n}'; style-src 'nonce-${n}'; connect-src 'self'; img-src 'self' data:; ` +
      `base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
    return read((snap) => html(renderPage(snap, { base: base(c), pollMs, nonce: n }), { "content-security-policy": csp }));
  });
  ui.get("/fragment", () => read((snap) => html(renderLive(snap))));
  ui.get("/api/snapshot", () => read((snap) => json(200, snap, SECURITY_HEADERS)));
  ui.post("/api/*", bodyLimit({ maxSize: 4096, onError: () => fail(413, "body too large") }));
  ui.post("/api/revoke/:id", async (c) => {
    const id = c.req.param("id");
    if (!id || id.length > MAX_ID) return fail(400, `id must be 1–${MAX_ID} characters`);
    return guarded(async () => (await app.revoke([id]), json(200, { revoked: [id] })));
  });
  ui.post("/api/redrive", async (c) => {
    const broker = app.broker;
    if (!isPullBroker(broker)) return fail(404, `broker ${broker.name} keeps no dead letters`);
    let body: unknown = {};
    try {
      const text = await c.req.text();
      body = text.trim() ? JSON.parse(text) : {};
    } catch {
      return fail(400, "body is not valid JSON");
    }
    const { queue, limit = 1000 } = (typeof body === "object" && body !== null ? body : {}) as { queue?: unknown; limit?: unknown };
    if (queue !== undefined && typeof queue !== "string") return fail(400, "queue must be a string");
    if (!(typeof limit === "number" && Number.isInteger(limit) && limit >= 1 && limit <= 10_000)) return fail(400, "limit must be an integer 1–10000");
    return guarded(async () => json(200, { moved: await broker.redrive(queue === undefined ? { limit } : { limit, queue }) }));
  });
  return ui;
}
