/**
 * QStash's `Upstash-Signature` check with Web Crypto only, following what the official
 * Receiver does (jose's `jwtVerify` with `issuer: "Upstash"`, then `sub` and the body hash):
 * an HMAC JWT (HS256, HS384 or HS512) keyed by the UTF-8 bytes of the signing key; `iss` must
 * be "Upstash"; `exp`, `nbf`, `iat` are numbers when present, `nbf > now + tolerance` and
 * `exp <= now - tolerance` fail; `body` is base64url(SHA-256(raw body)), padding ignored.
 * @module
 */

const enc = new TextEncoder();
const HASH: Record<string, string> = { HS256: "SHA-256", HS384: "SHA-384", HS512: "SHA-512" };

/** Bytes of base64url (or base64) text; throws on anything else. */
function bytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64.replace(/-/g, "+").replace(/_/g, "/").replace(/\s/g, ""));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const json = (part: string, what: string): Record<string, unknown> => {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes(part)));
  } catch {
    throw new Error(`invalid JWT ${what}`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`JWT ${what} must be a JSON object`);
  return v as Record<string, unknown>;
};

/** base64url of SHA-256 of `body`'s UTF-8 bytes, without padding. */
export async function sha256Base64url(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(body)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Verify the JWT's signature with `key` and its registered claims at `nowSeconds`; returns the claims. */
export async function verifyJwt(token: string, key: string, nowSeconds: number, toleranceSeconds = 0): Promise<Record<string, unknown>> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("invalid compact JWS");
  const [h, p, s] = parts as [string, string, string];
  const header = json(h, "header");
  const hash = HASH[header.alg as string];
  if (!hash) throw new Error(`unsupported JWT alg ${String(header.alg).slice(0, 20)}`);
  if (header.crit !== undefined) throw new Error("JWT crit header parameters are not supported");
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = bytes(s);
  } catch {
    throw new Error("invalid JWT signature encoding");
  }
  const hmac = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash }, false, ["verify"]);
  if (!await crypto.subtle.verify("HMAC", hmac, sig, enc.encode(`${h}.${p}`))) throw new Error("signature verification failed");
  const claims = json(p, "payload");
  if (claims.iss !== "Upstash") throw new Error('unexpected "iss" claim value');
  for (const c of ["iat", "nbf", "exp"]) {
    if (claims[c] !== undefined && typeof claims[c] !== "number") throw new Error(`"${c}" claim must be a number`);
  }
  if (typeof claims.nbf === "number" && claims.nbf > nowSeconds + toleranceSeconds) throw new Error('"nbf" claim timestamp check failed');
  if (typeof claims.exp === "number" && claims.exp <= nowSeconds - toleranceSeconds) throw new Error('"exp" claim timestamp check failed');
  return claims;
}
