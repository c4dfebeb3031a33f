/**
 * Celery protocol v2 task messages in kombu's Redis envelope: built, encoded, decoded and
 * validated here and nowhere else (docs/wire-format.md §1).
 * @module
 */
import { MessageError } from "./errors.ts";
import type { OutboundMessage } from "./ports.ts";
import type { Embed, MessageProperties, TaskHeaders, TaskMessage } from "./types.ts";
import { base64DecodeUtf8, base64EncodeUtf8 } from "./util/encoding.ts";
import { isoWithOffset, parseInstant } from "./util/time.ts";
import { uuid } from "./util/id.ts";

export type { MessageProperties, TaskHeaders, TaskMessage } from "./types.ts";

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

// Hand-written envelope checks (no schema library in the core bundle): each field has a check
// and Python's default; `read` applies the defaults (to absent fields and to an allowed null,
// as Python's `or` does) and collects "path: problem" issues.
type Obj = Record<string, unknown>;
type Check = [ok: (v: unknown) => boolean, what: string];
type Spec = Record<string, [Check, unknown?]>; // no default: required
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const orNull = ([ok, what]: Check): Check => [(v) => v === null || ok(v), `${what} or null`];
const STR: Check = [isStr, "a string"];
const NAME: Check = [(v) => isStr(v) && v.length > 0, "a non-empty string"];
const INT: Check = [Number.isInteger, "an integer"];
const BOOL: Check = [(v) => typeof v === "boolean", "a boolean"];
const ARR: Check = [Array.isArray, "an array"];
const OBJ: Check = [isObj, "an object"];
const INSTANT: Check = [(v) => isStr(v) && !Number.isNaN(parseInstant(v)), "an ISO 8601 instant"];
const LIMITS: Check = [(v) => Array.isArray(v) && v.length === 2 && v.every((x) => x === null || Number.isFinite(x)), "[hard, soft]"];

const HEADERS: Spec = {
  lang: [STR, "py"], task: [NAME], id: [NAME], shadow: [orNull(STR), null], eta: [orNull(INSTANT), null],
  expires: [orNull(INSTANT), null], group: [orNull(STR), null], group_index: [orNull(INT), null],
  retries: [orNull([(v) => Number.isInteger(v) && (v as number) >= 0, "an integer ≥ 0"]), 0], timelimit: [orNull(LIMITS), null],
  root_id: [orNull(STR), null], parent_id: [orNull(STR), null], argsrepr: [orNull(STR), ""], kwargsrepr: [orNull(STR), ""],
  origin: [orNull(STR), ""], ignore_result: [orNull(BOOL), false],
};
const ENVELOPE: Spec = { body: [STR], "content-type": [STR, "application/json"], "content-encoding": [STR, "utf-8"], headers: [OBJ], properties: [OBJ, {}] };
const PROPERTIES: Spec = { body_encoding: [STR, undefined], delivery_tag: [STR, undefined], priority: [orNull(INT), 0] };
const BODY: Spec = { 0: [ARR], 1: [OBJ] };
const SIGNATURE: Spec = {
  task: [NAME], args: [ARR, []], kwargs: [OBJ, {}], options: [OBJ, {}], subtask_type: [orNull(STR), null], immutable: [BOOL, false],
};

/** A copy of `v` with defaults for absent and null fields; problems go to `issues`. */
function read(v: unknown, spec: Spec, path: string, issues: string[]): Obj {
  if (!isObj(v)) return (issues.push(`${path || "(root)"}: expected an object`), {});
  const out: Obj = { ...v };
  const at = path ? `${path}.` : "";
  for (const [key, [[ok, what], ...dflt]] of Object.entries(spec)) {
    const x = v[key];
    if (x === undefined ? !dflt.length : !ok(x)) issues.push(`${at}${key}: expected ${what}`);
    else if (x == null) out[key] = dflt[0];
  }
  return out;
}

// The embed: each link list an array of signatures or null, the chord a signature or null.
function readEmbed(v: unknown, issues: string[]): Embed {
  const e = v === null ? {} : read(v, {}, "2", issues);
  for (const key of ["callbacks", "errbacks", "chain", "chord"]) {
    const x = e[key];
    const at = `2.${key}`;
    if (x == null) e[key] = null;
    else if (key === "chord") e[key] = read(x, SIGNATURE, at, issues);
    else if (Array.isArray(x)) e[key] = x.map((s, i) => read(s, SIGNATURE, `${at}.${i}`, issues));
    else issues.push(`${at}: expected an array or null`);
  }
  return e as unknown as Embed;
}

/** Build a complete protocol v2 message with Python's default values for every header. */
export function buildMessage(input: MessageInput): TaskMessage {
  const id = input.id ?? uuid();
  const args = input.args ?? [];
  const kwargs = input.kwargs ?? {};
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
    priority: input.priority ?? 0,
    body_encoding: "base64",
    delivery_tag: uuid(),
  };
  if (input.expires != null) properties.expiration = String(Math.max(0, Math.round(input.expires - (input.now ?? Date.now()))));
  return { headers, properties, args, kwargs, embed: { callbacks: null, errbacks: null, chain: null, chord: null, ...input.embed } };
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

function parseJson(text: string, what: string, parse: (text: string) => unknown): unknown {
  try {
    return parse(text);
  } catch (cause) {
    throw new MessageError(`${what} is not valid JSON`, { cause });
  }
}

/**
 * Decode and validate a protocol v2 envelope as celeriac writes it; throws `MessageError` with
 * the reason when it is malformed. Python's extras (compression, protocol 1, kombu 5.3's type
 * markers) are `decodeIncoming`'s (src/decode.ts).
 */
export function decodeMessage(raw: string): TaskMessage {
  return decodeWith(raw, JSON.parse);
}

/** `decodeMessage` reading the envelope's and the body's JSON text with `parse`. */
export function decodeWith(raw: string, parse: (text: string) => unknown): TaskMessage {
  const issues: string[] = [];
  const e = read(parseJson(raw, "message", parse), ENVELOPE, "", issues);
  const h = issues.length ? {} : read(e.headers, HEADERS, "headers", issues);
  const p = issues.length ? {} : read(e.properties, PROPERTIES, "properties", issues);
  if (issues.length) throw new MessageError(`invalid envelope: ${issues.join("; ")}`);
  const contentType = e["content-type"] as string;
  if (!contentType.includes("json")) throw new MessageError(`unsupported content-type ${contentType}`);
  if (h.compression) throw new MessageError(`unsupported compression ${h.compression}`);
  let bodyText = e.body as string;
  if (p.body_encoding === "base64") {
    try {
      bodyText = base64DecodeUtf8(bodyText);
    } catch (cause) {
      throw new MessageError("body is not valid base64 UTF-8", { cause });
    }
  }
  const body = parseJson(bodyText, "body", parse);
  if (!Array.isArray(body) || body.length !== 3) throw new MessageError("body is not [args, kwargs, embed]: expected an array of 3");
  read({ ...body }, BODY, "", issues);
  const embed = readEmbed(body[2], issues);
  if (issues.length) throw new MessageError(`body is not [args, kwargs, embed]: ${issues.join("; ")}`);
  const deliveryInfo = (p.delivery_info ?? {}) as MessageProperties["delivery_info"];
  const properties = {
    ...p,
    correlation_id: String(p.correlation_id ?? h.id),
    reply_to: String(p.reply_to ?? ""),
    delivery_mode: Number(p.delivery_mode ?? 2),
    delivery_info: { ...deliveryInfo, exchange: deliveryInfo.exchange ?? "", routing_key: deliveryInfo.routing_key ?? "celery" },
    body_encoding: "base64",
    delivery_tag: p.delivery_tag ?? uuid(),
  } as MessageProperties;
  const headers = { ...h, timelimit: h.timelimit ?? [null, null], root_id: h.root_id ?? h.id } as TaskHeaders;
  return { headers, properties, args: body[0] as unknown[], kwargs: body[1] as Obj, embed };
}
