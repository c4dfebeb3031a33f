/**
 * `-b/--broker URL` (Celery's `--broker`): a broker built from a URL replaces the one the app's
 * module configured. Upstash's REST URL (`https://TOKEN@host`, or the token from
 * `UPSTASH_REDIS_REST_TOKEN`) works now; `redis://` and `amqp://` wait for their TCP adapters.
 * @module
 */
import process from "node:process";
import { ConfigError, type Broker, type Celeriac } from "../../mod.ts";

/** The broker `url` names. Throws `ConfigError` for a scheme the CLI cannot build yet or a missing token. */
export async function brokerFromUrl(url: string): Promise<Broker> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`-b/--broker: "${url}" is not a URL (expected an Upstash REST URL, https://TOKEN@host)`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new ConfigError(
      `-b/--broker: ${u.protocol}// is not supported by the CLI yet; give an Upstash Redis REST URL ` +
        `(https://TOKEN@host) or build the broker in your module`,
    );
  }
  const token = decodeURIComponent(u.password || u.username) || process.env.UPSTASH_REDIS_REST_TOKEN;
  if (!token) throw new ConfigError("-b/--broker: no token: give https://TOKEN@host or set UPSTASH_REDIS_REST_TOKEN");
  u.username = u.password = "";
  const { fromEnv } = await import("../../adapters/upstash-redis/mod.ts");
  return fromEnv({ UPSTASH_REDIS_REST_URL: u.href.replace(/\/$/, ""), UPSTASH_REDIS_REST_TOKEN: token }).broker;
}

/** Use `broker` instead of the app's own, as Celery's `-b` overrides `broker_url`. */
export function replaceBroker(app: Celeriac, broker: Broker): void {
  (app as { broker: Broker }).broker = broker;
}
