/**
 * Auth hooks for the Hono routes: `bearer(token)` checks `Authorization: Bearer <token>` in
 * constant time (both sides are hashed first, so neither length nor content leaks by timing).
 * @module
 */
import { ConfigError } from "../../src/errors.ts";

/** Decides whether a request may use the guarded routes. */
export type Auth = (request: Request) => boolean | Promise<boolean>;

const encoder = new TextEncoder();

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s)));
}

/** Compare two strings without an early exit: the time taken does not depend on where they differ. */
export async function timingSafeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * Accept requests carrying `Authorization: Bearer <token>`.
 * @example
 * api.route("/tasks", celeriac(app, { expose: [add], auth: bearer(env.API_TOKEN) }));
 */
export function bearer(token: string | undefined): Auth {
  if (!token) throw new ConfigError("[hono] bearer(token): the token is empty (is the secret set?)");
  return async (request) => {
    const header = request.headers.get("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header);
    return await timingSafeEqual(m?.[1] ?? "", token) && m !== null;
  };
}

/**
 * Accept HTTP Basic credentials `user:password` (compared like `bearer`); a browser asks for
 * them itself (the 401 carries `challenge`), which suits the dashboard.
 * @example
 * api.route("/celeriac", dashboard(app, { auth: basic("admin", env.ADMIN_PASSWORD) }));
 */
export function basic(user: string | undefined, password: string | undefined, realm = "celeriac"): Auth & { challenge: string } {
  if (!user || !password) throw new ConfigError("[hono] basic(user, password): user or password is empty (is the secret set?)");
  const expected = `${user}:${password}`;
  const check: Auth = async (request) => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.headers.get("authorization") ?? "");
    let given = "";
    try {
      given = m ? new TextDecoder().decode(Uint8Array.from(atob(m[1]!), (c) => c.charCodeAt(0))) : "";
    } catch { /* not base64: refused below */ }
    return await timingSafeEqual(given, expected) && m !== null;
  };
  return Object.assign(check, { challenge: `Basic realm="${realm.replace(/["\\]/g, "")}", charset="UTF-8"` });
}
