/**
 * Celery protocol v2 task messages in kombu's Redis envelope: built, encoded, decoded and
 * validated here and nowhere else (docs/wire-format.md §1).
 * @module
 */
import * as z from "zod";
import { MessageError } from "./errors.ts";
import type { OutboundMessage } from "./ports.ts";
import type { Embed, SignatureDict } from "./types.ts";
import { base64DecodeUtf8, base64EncodeUtf8 } from "./util/encoding.ts";
import { isoWithOffset, parseInstant } from "./util/time.ts";
import { uuid } from "./util/id.ts";

/** Protocol v2 headers; unknown (custom) headers are kept. */
export interface TaskHeaders {
  lang: string;
  task: string;
  id: string;
  shadow: string | null;
  eta: string | null;
  expires: string | null;
  group: string | null;
  group_index: number | null;
  retries: number;
  timelimit: [number | null, number | null];
  root_id: string;
  parent_id: string | null;
  argsrepr: string;
  kwargsrepr: string;
  origin: string;
  ignore_result: boolean;
  [custom: string]: unknown;
}

/** kombu's message properties on Redis. */
export interface MessageProperties {
  correlation_id: string;
  reply_to: string;
  delivery_mode: number;
  delivery_info: { exchange: string; routing_key: string; redelivered?: boolean; priority?: number };
  priority: number;
  body_encoding: string;
  delivery_tag: string;
  expiration?: string;
  [extra: string]: unknown;
}

/** A decoded task message. */
export interface TaskMessage {
  headers: TaskHeaders;
  properties: MessageProperties;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: Embed;
}

/** What the core needs to build a message. Times are epoch ms. */
export interface MessageInput {
  task: string;
  id?: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  queue: string;
  priority?: number;
  eta?: number | null;
  expires?: number | null;
  retries?: number;
  rootId?: string | null;
  parentId?: string | null;
  group?: string | null;
  groupIndex?: number | null;
  /** `[hard, soft]` seconds, Celery's order. */
  timeLimit?: [number | null, number | null];
  ignoreResult?: boolean;
  shadow?: string | null;
  origin?: string;
  headers?: Record<string, unknown>;
  embed?: Partial<Embed>;
  /** Epoch ms the `expiration` property counts from (the app's clock; default `Date.now()`). */
  now?: number;
}

const signatureSchema: z.ZodType<SignatureDict> = z.lazy(() =>
  z.object({
    task: z.string().min(1),
    args: z.array(z.unknown()).default([]),
    kwargs: z.record(z.string(), z.unknown()).default({}),
    options: z.record(z.string(), z.unknown()).default({}),
    subtask_type: z.string().nullable().default(null),
    immutable: z.boolean().default(false),
  }).passthrough()
) as unknown as z.ZodType<SignatureDict>;

const embedSchema = z.object({
  callbacks: z.array(signatureSchema).nullable().default(null),
  errbacks: z.array(signatureSchema).nullable().default(null),
  chain: z.array(signatureSchema).nullable().default(null),
  chord: signatureSchema.nullable().default(null),
}).passthrough();

const bodySchema = z.tuple([z.array(z.unknown()), z.record(z.string(), z.unknown()), embedSchema.nullable()]);

const isoOrNull = z.string().refine((s) => !Number.isNaN(parseInstant(s)), "not an ISO 8601 instant").nullable().default(null);

const headersSchema = z.object({
  lang: z.string().default("py"),
  task: z.string().min(1),
  id: z.string().min(1),
  shadow: z.string().nullable().default(null),
  eta: isoOrNull,
  expires: isoOrNull,
  group: z.string().nullable().default(null),
  group_index: z.number().int().nullable().default(null),
  retries: z.number().int().nonnegative().nullable().default(0).transform((n) => n ?? 0),
  timelimit: z.tuple([z.number().nullable(), z.number().nullable()]).nullable().default([null, null])
    .transform((t) => t ?? [null, null] as [number | null, number | null]),
  root_id: z.string().nullable().default(null),
  parent_id: z.string().nullable().default(null),
  argsrepr: z.string().nullable().default(""),
  kwargsrepr: z.string().nullable().default(""),
  origin: z.string().nullable().default(""),
  ignore_result: z.boolean().nullable().default(false),
}).passthrough();

const envelopeSchema = z.object({
  body: z.string(),
  "content-type": z.string().default("application/json"),
  "content-encoding": z.string().default("utf-8"),
  headers: headersSchema,
  properties: z.object({
    body_encoding: z.string().optional(),
    delivery_tag: z.string().optional(),
    priority: z.number().int().nullable().optional(),
  }).passthrough().default({}),
});

/** Build a complete protocol v2 message with Python's default values for every header. */
export function buildMessage(input: MessageInput): TaskMessage {
  const id = input.id ?? uuid();
  const args = input.args ?? [];
  const kwargs = input.kwargs ?? {};
  const priority = input.priority ?? 0;
  const headers: TaskHeaders = {
    lang: "js",
    task: input.task,
    id,
    shadow: input.shadow ?? null,
    eta: input.eta != null ? isoWithOffset(input.eta) : null,
    expires: input.expires != null ? isoWithOffset(input.expires) : null,
    group: input.group ?? null,
    group_index: input.groupIndex ?? null,
    retries: input.retries ?? 0,
    timelimit: input.timeLimit ?? [null, null],
    root_id: input.rootId ?? id,
    parent_id: input.parentId ?? null,
    argsrepr: repr(`(${args.map((a) => JSON.stringify(a)).join(", ")})`),
    kwargsrepr: repr(JSON.stringify(kwargs)),
    origin: input.origin ?? "celeriac",
    ignore_result: input.ignoreResult ?? false,
    ...input.headers,
  };
  const properties: MessageProperties = {
    correlation_id: id,
    reply_to: "",
    delivery_mode: 2,
    delivery_info: { exchange: "", routing_key: input.queue },
    priority,
    body_encoding: "base64",
    delivery_tag: uuid(),
  };
  if (input.expires != null) properties.expiration = String(Math.max(0, Math.round(input.expires - (input.now ?? Date.now()))));
  const embed: Embed = { callbacks: null, errbacks: null, chain: null, chord: null, ...input.embed };
  return { headers, properties, args, kwargs, embed };
}

function repr(s: string): string {
  return s.length > 1024 ? `${s.slice(0, 1021)}...` : s;
}

/** Encode a message as the JSON envelope kombu stores on Redis (body is base64 JSON). */
export function encodeMessage(msg: TaskMessage): string {
  const body = base64EncodeUtf8(JSON.stringify([msg.args, msg.kwargs, msg.embed]));
  return JSON.stringify({
    body,
    "content-encoding": "utf-8",
    "content-type": "application/json",
    headers: msg.headers,
    properties: msg.properties,
  });
}

/** The outbound form of a message, ready for `Broker.publish`. */
export function toOutbound(msg: TaskMessage): OutboundMessage {
  const out: OutboundMessage = {
    id: msg.headers.id,
    queue: msg.properties.delivery_info.routing_key,
    priority: msg.properties.priority,
    payload: encodeMessage(msg),
  };
  if (msg.headers.eta) out.notBefore = parseInstant(msg.headers.eta);
  return out;
}

// kombu 5.3+ writes datetimes, uuids, decimals and bytes as {"__type__", "__value__"} markers.
function reviveKombuMarkers(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o.__type__ === "string" && "__value__" in o && Object.keys(o).length === 2) return o.__value__;
  }
  return value;
}

function parseJson(text: string, what: string): unknown {
  try {
    // A reviver makes JSON.parse several times slower: only pay for it when markers are present.
    return text.includes("__type__") ? JSON.parse(text, reviveKombuMarkers) : JSON.parse(text);
  } catch (cause) {
    throw new MessageError(`${what} is not valid JSON`, { cause });
  }
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Decode and validate an envelope; throws `MessageError` with the reason when it is malformed. */
export function decodeMessage(raw: string): TaskMessage {
  const env = envelopeSchema.safeParse(parseJson(raw, "message"));
  if (!env.success) throw new MessageError(`invalid envelope: ${describe(env.error)}`);
  const e = env.data;
  if (!e["content-type"].includes("json")) throw new MessageError(`unsupported content-type ${e["content-type"]}`);
  if (e.headers.compression) throw new MessageError(`unsupported compression ${String(e.headers.compression)}`);
  let bodyText = e.body;
  if (e.properties.body_encoding === "base64") {
    try {
      bodyText = base64DecodeUtf8(e.body);
    } catch (cause) {
      throw new MessageError("body is not valid base64 UTF-8", { cause });
    }
  }
  const body = bodySchema.safeParse(parseJson(bodyText, "body"));
  if (!body.success) throw new MessageError(`body is not [args, kwargs, embed]: ${describe(body.error)}`);
  const [args, kwargs, embed] = body.data;
  const h = e.headers;
  const headers = {
    ...h,
    root_id: h.root_id ?? h.id,
    argsrepr: h.argsrepr ?? "",
    kwargsrepr: h.kwargsrepr ?? "",
    origin: h.origin ?? "",
    ignore_result: h.ignore_result ?? false,
  } as TaskHeaders;
  const p = e.properties as Record<string, unknown>;
  const deliveryInfo = (p.delivery_info ?? {}) as MessageProperties["delivery_info"];
  const properties = {
    ...p,
    correlation_id: String(p.correlation_id ?? h.id),
    reply_to: String(p.reply_to ?? ""),
    delivery_mode: Number(p.delivery_mode ?? 2),
    delivery_info: { ...deliveryInfo, exchange: deliveryInfo.exchange ?? "", routing_key: deliveryInfo.routing_key ?? "celery" },
    priority: e.properties.priority ?? 0,
    body_encoding: "base64",
    delivery_tag: e.properties.delivery_tag ?? uuid(),
  } as MessageProperties;
  const fullEmbed: Embed = { callbacks: null, errbacks: null, chain: null, chord: null, ...(embed ?? {}) } as Embed;
  return { headers, properties, args, kwargs, embed: fullEmbed };
}
