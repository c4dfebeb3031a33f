/**
 * The handlers behind `celeriac(app, opts)`: enqueue an exposed task by name and read a result.
 * Answers are JSON; errors are `{ error, issues? }`.
 * @module
 */
import type { Celeriac } from "../../src/app.ts";
import type { ApplyOptions } from "../../src/canvas/signature.ts";
import { AdapterError, CeleriacError, ValidationError } from "../../src/errors.ts";
import { EXCEPTION_STATES, PENDING } from "../../src/states.ts";

/** The calling options a client may pass in `options` (routing and ids stay server-side). */
const ALLOWED_OPTIONS = new Set(["countdown", "eta", "expires", "priority"]);

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** `{ error }` with a status. */
export const fail = (status: number, error: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>): Response =>
  json(status, { error, ...extra }, headers);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function readBody(v: unknown): { args: unknown[]; kwargs: Record<string, unknown>; options: ApplyOptions } | string {
  if (v === undefined) return { args: [], kwargs: {}, options: {} };
  if (!isObject(v)) return "body must be a JSON object {args?, kwargs?, options?}";
  const { args = [], kwargs = {}, options = {}, ...rest } = v;
  const extra = Object.keys(rest);
  if (extra.length) return `unknown field ${extra.join(", ")}`;
  if (!Array.isArray(args)) return "args must be an array";
  if (!isObject(kwargs)) return "kwargs must be an object";
  if (!isObject(options)) return "options must be an object";
  const refused = Object.keys(options).filter((k) => !ALLOWED_OPTIONS.has(k));
  if (refused.length) return `option ${refused.join(", ")} not allowed (allowed: ${[...ALLOWED_OPTIONS].join(", ")})`;
  return { args, kwargs, options: options as ApplyOptions };
}

/** `POST /:name`: 202 `{id}`; 400 bad body or schema issues; 404 unknown or not exposed. */
export async function enqueue(app: Celeriac, exposed: ReadonlySet<string>, name: string, request: Request): Promise<Response> {
  if (!exposed.has(name) || !app.tasks.has(name)) return fail(404, `no task ${name}`);
  const text = await request.text();
  let parsed: unknown;
  try {
    parsed = text.trim() ? JSON.parse(text) : undefined;
  } catch {
    return fail(400, "body is not valid JSON");
  }
  const body = readBody(parsed);
  if (typeof body === "string") return fail(400, body);
  try {
    const r = await app.sendTask(name, body.args, { ...body.options, kwargs: body.kwargs });
    return json(202, { id: r.id });
  } catch (err) {
    if (err instanceof ValidationError) return fail(400, err.message, { issues: err.issues });
    if (err instanceof AdapterError) return fail(503, err.message, {}, { "retry-after": "5" });
    if (err instanceof CeleriacError) return fail(400, err.message);
    throw err;
  }
}

/** `GET /:id`: `{id, state, result}`, or `{id, state, error: {type, message}}` for exception states. */
export async function readResult(app: Celeriac, id: string): Promise<Response> {
  if (id.length > 255) return fail(400, "id too long");
  const meta = await app.backend.get(id);
  const state = meta?.status ?? PENDING;
  if (!meta || !EXCEPTION_STATES.has(state)) return json(200, { id, state, result: meta?.result ?? null });
  const exc = (meta.result ?? {}) as { exc_type?: unknown; exc_message?: unknown };
  const message = Array.isArray(exc.exc_message) ? exc.exc_message.map(String).join(", ") : String(exc.exc_message ?? "");
  return json(200, { id, state, error: { type: String(exc.exc_type ?? "Error"), message } });
}

/** JSON answer helper shared with mod.ts. */
export { json };
