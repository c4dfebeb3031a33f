/**
 * Task argument schemas: any Standard Schema v1 (https://standardschema.dev) — zod ≥ 3.24,
 * valibot ≥ 1, arktype ≥ 2 — so the user's own validator is the only one in the bundle.
 * @module
 */
import { ConfigError, ValidationError } from "./errors.ts";

/** A path segment of an issue: a key, or `{ key }`. */
export type StandardPathSegment = PropertyKey | { readonly key: PropertyKey };

/** One problem reported by a Standard Schema. */
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<StandardPathSegment> | undefined;
}

/** What `~standard.validate` returns. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

/** The Standard Schema v1 interface (the part celeriac calls). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** An issue as celeriac reports it (`ValidationError.issues`, the Hono route's 400 body). */
export interface SchemaIssue {
  message: string;
  path: (string | number)[];
}

function pathOf(issue: StandardIssue): (string | number)[] {
  return (issue.path ?? []).map((s) => {
    const k = typeof s === "object" && s !== null ? s.key : s;
    return typeof k === "number" ? k : String(k);
  });
}

/** Check `value` against a task's schema; throws `ValidationError` listing the issues. */
export function validateSchema(task: string, what: string, schema: StandardSchemaV1, value: unknown): void {
  const std = schema?.["~standard"];
  if (typeof std?.validate !== "function") {
    throw new ConfigError(`task ${task}: the ${what} schema is not a Standard Schema (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2)`);
  }
  const r = std.validate(value);
  if (r instanceof Promise) throw new ConfigError(`task ${task}: the ${what} schema is asynchronous; use a synchronous one`);
  if (!r.issues) return;
  const issues: SchemaIssue[] = r.issues.map((i) => ({ message: i.message, path: pathOf(i) }));
  const text = issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  throw new ValidationError(task, `invalid ${what}: ${text}`, issues);
}
