/**
 * Celery 5.2.6's AMQP message shape, both ways. On AMQP the kombu envelope is not a JSON text:
 * the body is the raw `[args, kwargs, embed]` JSON, the task headers are the AMQP application
 * headers, and `correlation_id`, `reply_to`, `delivery_mode`, `priority`, `expiration` are AMQP
 * properties (captured from a real `send_task` over `pyamqp://`). The worker side rebuilds the
 * envelope the core decodes (body base64, `delivery_info`), so the core stays transport-blind.
 * @module
 */
import type { Options } from "amqplib";

/** Content type of payloads that are not Celery envelopes (sent as is, for the port contract). */
export const RAW_TYPE = "application/x-celeriac-raw";

/** What goes on the wire for one outbound payload. */
export interface WireMessage {
  content: Uint8Array;
  options: Options.Publish;
}

/** An AMQP message as amqplib hands it over (only the fields used here). */
export interface IncomingAmqp {
  content: Uint8Array;
  fields: { deliveryTag: number; redelivered: boolean; exchange: string; routingKey: string };
  properties: {
    contentType?: string; contentEncoding?: string; headers?: Record<string, unknown>; correlationId?: string;
    replyTo?: string; deliveryMode?: number; priority?: number; expiration?: string;
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The AMQP message for a celeriac payload (a kombu envelope, or any text). */
export function toWire(payload: string, id: string, priority: number): WireMessage {
  let env: Record<string, any> | null = null;
  try {
    const v = JSON.parse(payload);
    if (v && typeof v === "object" && typeof v.body === "string" && v.headers && v.properties) env = v;
  } catch { /* not JSON: raw */ }
  if (!env) {
    return { content: enc.encode(payload), options: { contentType: RAW_TYPE, persistent: true, priority, messageId: id, headers: { id } } };
  }
  const p = env.properties;
  const body = p.body_encoding === "base64" ? bytesOfBase64(env.body) : enc.encode(env.body);
  const options: Options.Publish = {
    contentType: env["content-type"] ?? "application/json",
    contentEncoding: env["content-encoding"] ?? "utf-8",
    headers: env.headers,
    deliveryMode: p.delivery_mode ?? 2,
    priority: p.priority ?? priority,
    correlationId: p.correlation_id ?? id,
    replyTo: p.reply_to || undefined,
  };
  if (p.expiration != null) options.expiration = String(p.expiration);
  return { content: body, options };
}

// Bodies travel as bytes (a compressed body is binary); text that is not base64 is sent as is.
function bytesOfBase64(b64: string): Uint8Array {
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return enc.encode(b64);
  }
}

function base64OfBytes(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** The payload the core sees for a message received from `queue` (without the broker's name prefix): the original text, or a kombu envelope. */
export function fromWire(m: IncomingAmqp, tag: string, queue: string): string {
  const p = m.properties;
  if (p.contentType === RAW_TYPE) return dec.decode(m.content);
  const properties: Record<string, unknown> = {
    correlation_id: p.correlationId ?? p.headers?.id ?? "",
    reply_to: p.replyTo ?? "",
    delivery_mode: p.deliveryMode ?? 2,
    delivery_info: { exchange: m.fields.exchange, routing_key: queue },
    priority: p.priority ?? 0,
    body_encoding: "base64",
    delivery_tag: tag,
  };
  if (p.expiration != null) properties.expiration = p.expiration;
  if (m.fields.redelivered) (properties.delivery_info as Record<string, unknown>).redelivered = true;
  return JSON.stringify({
    body: base64OfBytes(m.content),
    "content-encoding": p.contentEncoding ?? "utf-8",
    "content-type": p.contentType ?? "application/json",
    headers: p.headers ?? {},
    properties,
  });
}

/** The same message again (requeue with delay, dead letter), keeping its properties. */
export function republish(m: IncomingAmqp): WireMessage {
  const { contentType, contentEncoding, headers, correlationId, replyTo, deliveryMode, priority, expiration } = m.properties;
  const options: Options.Publish = { contentType, contentEncoding, headers, correlationId, replyTo, deliveryMode, priority };
  if (expiration != null) options.expiration = expiration;
  return { content: m.content, options };
}
