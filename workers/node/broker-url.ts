/**
 * `-b/--broker URL` and `--result-backend URL` (Celery's flags): a broker or backend built from a
 * URL replaces the one the app's module configured. Upstash's REST URL (`https://TOKEN@host`, or the token from
 * `UPSTASH_REDIS_REST_TOKEN`; the key prefix from `CELERIAC_REDIS_PREFIX`, as `fromEnv` reads them)
 * works now; `redis://` and `amqp://` wait for their TCP adapters.
 * @module
 */
import process from "node:process";
import { ConfigError, type Broker, type Celeriac, type ResultBackend } from "../../mod.ts";

/** The broker and backend `url` names. Throws `ConfigError` for a scheme the CLI cannot build yet or a missing token. */
export async function fromUrl(url: string, flag: string): Promise<{ broker: Broker; backend: ResultBackend }> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`${flag}: "${url}" is not a URL (expected an Upstash REST URL, https://TOKEN@host)`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new ConfigError(
      `${flag}: ${u.protocol}// is not supported by the CLI yet; give an Upstash Redis REST URL ` +
        `(https://TOKEN@host) or build the broker in your module`,
    );
  }
  const token = decodeURIComponent(u.password || u.username) || process.env.UPSTASH_REDIS_REST_TOKEN;
  if (!token) throw new ConfigError(`${flag}: no token: give https://TOKEN@host or set UPSTASH_REDIS_REST_TOKEN`);
  u.username = u.password = "";
  const { fromEnv } = await import("../../adapters/upstash-redis/mod.ts");
  const env = { UPSTASH_REDIS_REST_URL: u.href.replace(/\/$/, ""), UPSTASH_REDIS_REST_TOKEN: token };
  return fromEnv({ ...env, CELERIAC_REDIS_PREFIX: process.env.CELERIAC_REDIS_PREFIX });
}

/** `-b`/`--result-backend`: override the app's broker/backend, as Celery's flags override `broker_url`/`result_backend`. */
export async function overrideFromFlags(app: Celeriac, broker?: string, backend?: string): Promise<void> {
  const target = app as { broker: Broker; backend: ResultBackend };
  if (broker !== undefined) target.broker = (await fromUrl(broker, "-b/--broker")).broker;
  if (backend !== undefined) target.backend = (await fromUrl(backend, "--result-backend")).backend;
}
