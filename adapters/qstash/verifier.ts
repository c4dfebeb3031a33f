/**
 * `qstashVerifier`: the `verify` of `app.worker({ http: { verify } })` for QStash pushes. Checks
 * `Upstash-Signature` with the official Receiver (HS256 JWT, current key then next key, `iss`,
 * `exp`/`nbf`, the body's SHA-256 and `sub` = the URL QStash was told to call) before anything
 * else is read; any failure is a `SignatureError` (→ 401, nothing runs).
 * @module
 */
import { Receiver } from "@upstash/qstash";
import { ConfigError, SignatureError } from "../../src/errors.ts";

/** The env bindings `qstashVerifier(env)` reads. */
export interface QStashEnv {
  QSTASH_CURRENT_SIGNING_KEY?: string;
  QSTASH_NEXT_SIGNING_KEY?: string;
  /** The public URL of the push route, when it differs from the request's URL (proxies). */
  QSTASH_WORKER_URL?: string;
  /** Any other binding (a Worker's `env`, `process.env`). */
  readonly [binding: string]: unknown;
}

/** Explicit keys. */
export interface QStashVerifierOptions {
  currentSigningKey: string;
  nextSigningKey: string;
  /** Expected `sub` claim; default the request's URL. `false` skips the check. */
  url?: string | false;
  /** Seconds of clock skew allowed on `exp`/`nbf` (default 0). */
  clockToleranceSeconds?: number;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** Build the verifier from env bindings or explicit keys. */
export function qstashVerifier(src: QStashEnv | QStashVerifierOptions): (request: Request) => Promise<string> {
  const e = src as QStashEnv;
  const o: Partial<QStashVerifierOptions> = typeof src.currentSigningKey === "string"
    ? src as QStashVerifierOptions
    : { currentSigningKey: str(e.QSTASH_CURRENT_SIGNING_KEY), nextSigningKey: str(e.QSTASH_NEXT_SIGNING_KEY), url: str(e.QSTASH_WORKER_URL) };
  if (!o.currentSigningKey || !o.nextSigningKey) {
    throw new ConfigError("qstashVerifier needs QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY");
  }
  const receiver = new Receiver({ currentSigningKey: o.currentSigningKey, nextSigningKey: o.nextSigningKey });
  return async (request: Request): Promise<string> => {
    const signature = request.headers.get("upstash-signature");
    if (!signature) throw new SignatureError("missing Upstash-Signature header");
    const body = await request.text();
    const url = o.url === false ? undefined : o.url ?? request.url;
    try {
      await receiver.verify({ signature, body, url, clockTolerance: o.clockToleranceSeconds });
    } catch (err) {
      throw new SignatureError(`invalid QStash signature: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
    }
    return body;
  };
}
