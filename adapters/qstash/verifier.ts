/**
 * `qstashVerifier`: the `verify` of `app.worker({ http: { verify } })` for QStash pushes. Checks
 * `Upstash-Signature` as the official Receiver does, with Web Crypto (HS256 JWT, current key then
 * next key, `iss`, `exp`/`nbf`, the body's SHA-256 and `sub` = the URL QStash was told to call),
 * or with an official `Receiver` you pass, before anything else is read; any failure is a
 * `SignatureError` (→ 401, nothing runs).
 * @module
 */
import { ConfigError, SignatureError } from "../../src/errors.ts";
import { sha256Base64url, verifyJwt } from "./jwt.ts";

/** The env bindings `qstashVerifier(env)` reads. */
export interface QStashEnv {
  QSTASH_CURRENT_SIGNING_KEY?: string;
  QSTASH_NEXT_SIGNING_KEY?: string;
  /** The public URL of the push route, when it differs from the request's URL (proxies). */
  QSTASH_WORKER_URL?: string;
  /** Any other binding (a Worker's `env`, `process.env`). */
  readonly [binding: string]: unknown;
}

/** The part of the official `Receiver` (`@upstash/qstash`) `qstashVerifier({ receiver })` calls. */
export interface QStashReceiverLike {
  verify(request: { signature: string; body: string; url?: string; clockTolerance?: number }): Promise<boolean>;
}

/** What both ways of checking take. */
interface CheckOptions {
  /** Expected `sub` claim; default the request's URL. `false` skips the check. */
  url?: string | false;
  /** Seconds of clock skew allowed on `exp`/`nbf` (default 0). */
  clockToleranceSeconds?: number;
}

/** Explicit keys. */
export interface QStashVerifierOptions extends CheckOptions {
  currentSigningKey: string;
  nextSigningKey: string;
  /** Epoch ms the `exp`/`nbf` checks use (default `Date.now`). */
  now?: () => number;
  receiver?: undefined;
}

/** Check with an official `Receiver` (it holds the keys). */
export interface QStashReceiverOptions extends CheckOptions {
  receiver: QStashReceiverLike;
}

/** The check itself: current key, then next key, then `sub` and the body hash. */
async function check(o: QStashVerifierOptions, signature: string, body: string, url: string | undefined): Promise<void> {
  const now = Math.floor((o.now ?? Date.now)() / 1000);
  let claims: Record<string, unknown>;
  try {
    claims = await verifyJwt(signature, o.currentSigningKey, now, o.clockToleranceSeconds);
  } catch {
    claims = await verifyJwt(signature, o.nextSigningKey, now, o.clockToleranceSeconds);
  }
  if (url !== undefined && claims.sub !== url) throw new Error(`invalid subject: ${String(claims.sub)}, want: ${url}`);
  if (typeof claims.body !== "string" || claims.body.replace(/=+$/, "") !== await sha256Base64url(body)) throw new Error("body hash does not match");
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** Build the verifier from env bindings or explicit keys. */
export function qstashVerifier(src: QStashEnv | QStashVerifierOptions | QStashReceiverOptions): (request: Request) => Promise<string> {
  const e = src as QStashEnv;
  const o: Partial<QStashVerifierOptions> | QStashReceiverOptions = typeof (src as QStashVerifierOptions).currentSigningKey === "string" || src.receiver
    ? src as QStashVerifierOptions | QStashReceiverOptions
    : { currentSigningKey: str(e.QSTASH_CURRENT_SIGNING_KEY), nextSigningKey: str(e.QSTASH_NEXT_SIGNING_KEY), url: str(e.QSTASH_WORKER_URL) };
  if (!o.receiver && (!(o as QStashVerifierOptions).currentSigningKey || !(o as QStashVerifierOptions).nextSigningKey)) {
    throw new ConfigError("qstashVerifier needs QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY");
  }
  return async (request: Request): Promise<string> => {
    const signature = request.headers.get("upstash-signature");
    if (!signature) throw new SignatureError("missing Upstash-Signature header");
    const body = await request.text();
    const url = o.url === false ? undefined : o.url ?? request.url;
    try {
      await (o.receiver
        ? o.receiver.verify({ signature, body, url, clockTolerance: o.clockToleranceSeconds })
        : check(o as QStashVerifierOptions, signature, body, url));
    } catch (err) {
      throw new SignatureError(`invalid QStash signature: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
    }
    return body;
  };
}
