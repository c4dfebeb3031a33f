/**
 * QStash's request signature: an HS256 JWT whose key is the UTF-8 bytes of the signing key,
 * with `iss` "Upstash", `sub` the destination URL, `iat`/`nbf` now, `exp` five minutes later,
 * a fresh `jti` and `body` = base64url(SHA-256(raw body)). Web Crypto only.
 * @module
 */

const enc = new TextEncoder();

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url(SHA-256(bytes)), QStash's `body` claim. */
export async function bodyHash(body: Uint8Array): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", body as Uint8Array<ArrayBuffer>)));
}

/** Claims of one signature. */
export interface SignatureClaims {
  sub: string;
  body: string;
  /** Unix seconds. */
  iat: number;
  /** Lifetime in seconds (default 300). */
  ttl?: number;
}

/** Sign `claims` with `key` (a `sig_...` string used verbatim). */
export async function signJwt(key: string, c: SignatureClaims): Promise<string> {
  const header = base64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const payload = base64url(enc.encode(JSON.stringify({
    iss: "Upstash", sub: c.sub, exp: c.iat + (c.ttl ?? 300), nbf: c.iat, iat: c.iat,
    jti: `jwt_${crypto.randomUUID().replace(/-/g, "")}`, body: c.body,
  })));
  const hmac = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, enc.encode(`${header}.${payload}`)));
  return `${header}.${payload}.${base64url(sig)}`;
}
