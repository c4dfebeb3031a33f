/**
 * The canvas primitives: `chain`, `group`, `chord`, and the signatures behind `task.map`,
 * `task.starmap` and `task.chunks`. Each is a `Signature` whose `toJSON()` is Celery's dict,
 * so it can be nested, stored, sent in a message's callbacks or chain, or sent by Python.
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { GroupResult } from "../group-result.ts";
import { chainDict, chordDict, chordParts, chunksDict, chunksToGroup, groupDict, groupTasks, mapDict, starmapDict } from "./dicts.ts";
import {
  registerCanvasType, Signature, toDict, toDicts, type ApplyOptions, type SignatureHost, type SignatureLike,
} from "./signature.ts";

// Used when no signature of the canvas knows its app (all plain dicts).
const DETACHED: SignatureHost = {
  applySignature: () =>
    Promise.reject(new ConfigError("this canvas has no app: build it from task signatures (task.s()) or use app.applySignature")),
};

function hostOf(sigs: SignatureLike[]): SignatureHost {
  return sigs.find((s): s is Signature => s instanceof Signature)?.host ?? DETACHED;
}

/** A chain: each step gets the previous step's result prepended to its args. */
export class Chain<R = unknown> extends Signature<R> {
  /** The steps, in run order. */
  get tasks(): Signature[] {
    return groupTasks(this.toJSON()).map((t) => Signature.from(this.host, t));
  }
}

export interface Group<R = unknown> {
  /** Send the group with `args` prepended to every member's args. */
  delay(...args: unknown[]): Promise<GroupResult<R>>;
}

/** A group: members run in parallel; its result is a `GroupResult` in member order. */
export class Group<R = unknown> extends Signature<R[]> {
  /** The members. */
  get tasks(): Signature<R>[] {
    return groupTasks(this.toJSON()).map((t) => Signature.from<R>(this.host, t));
  }

  /** Send the group. A `link` is refused as in Celery: use a chord. */
  override applyAsync(args?: unknown[], opts?: ApplyOptions): Promise<GroupResult<R>> {
    if (opts?.link) return Promise.reject(new ConfigError("Cannot add link to group: use a chord"));
    return super.applyAsync(args, opts) as unknown as Promise<GroupResult<R>>;
  }

  /**
   * Celery's `group.link`: the callback goes to the first member only, made immutable (it
   * cannot receive the other members' results; use a chord for that).
   */
  override link<S extends SignatureLike>(callback: S): S {
    const tasks = groupTasks(this.toJSON());
    if (!tasks.length) throw new ConfigError("cannot link an empty group");
    (tasks[0].options.link ??= []).push({ ...toDict(callback), immutable: true });
    return callback;
  }
}

/** A chord: the body runs once with the list of the header members' results. */
export class Chord<R = unknown> extends Signature<R> {
  /** The header members. */
  get header(): Signature[] {
    return groupTasks(chordParts(this.toJSON()).header).map((t) => Signature.from(this.host, t));
  }

  /** The body. */
  get body(): Signature<R> {
    return Signature.from<R>(this.host, chordParts(this.toJSON()).body);
  }
}

export interface Chunks<R = unknown> {
  /** Send as a group: the result is a `GroupResult` of one list per chunk. */
  delay(...args: unknown[]): Promise<GroupResult<R[]>>;
  /** Send as a group of `celery.starmap` tasks. */
  applyAsync(args?: unknown[], opts?: ApplyOptions): Promise<GroupResult<R[]>>;
}

/** `task.chunks(it, n)`: `it` split in parts of `n`, each part one `celery.starmap` task. */
export class Chunks<R = unknown> extends Signature<R[][]> {
  /** The group of `celery.starmap` signatures this stands for (Celery `chunks.group()`). */
  group(): Group<R[]> {
    return new Group<R[]>(this.host, chunksToGroup(this.toJSON()));
  }
}

registerCanvasType("chain", Chain);
registerCanvasType("group", Group);
registerCanvasType("chord", Chord);
registerCanvasType("chunks", Chunks);

/**
 * Chain signatures (Celery `chain(a, b, c)` / `a | b | c`): the result is the last step's,
 * and its `.parent` walks back. A group followed by a step becomes a chord.
 * @example
 * await chain(add.s(2, 2), mul.s(4)).delay(); // mul(add(2, 2), 4) → 16
 */
export function chain<R>(...sigs: [...SignatureLike[], Signature<R>]): Chain<R>;
export function chain<R = unknown>(sigs: SignatureLike[]): Chain<R>;
export function chain<R = unknown>(...sigs: SignatureLike[]): Chain<R>;
export function chain(...input: unknown[]): Chain<unknown> {
  const sigs = (input.length === 1 && Array.isArray(input[0]) ? input[0] : input) as SignatureLike[];
  return new Chain(hostOf(sigs), chainDict(toDicts(sigs)));
}

/**
 * Group signatures to run in parallel; `delay()` gives a `GroupResult` whose `get()` is
 * the list of results in the order given.
 * @example
 * await group([1, 2, 3].map((i) => add.s(i, i))).delay(); // get() → [2, 4, 6]
 */
export function group<R>(sigs: Iterable<Signature<R>>): Group<R>;
export function group<R = unknown>(sigs: Iterable<SignatureLike>): Group<R>;
export function group<R>(...sigs: Signature<R>[]): Group<R>;
export function group<R = unknown>(...sigs: SignatureLike[]): Group<R>;
export function group(...input: unknown[]): Group<unknown> {
  const sigs = (input.length === 1 && !(input[0] instanceof Signature) && isIterable(input[0])
    ? [...input[0]]
    : input) as SignatureLike[];
  return new Group(hostOf(sigs), groupDict(toDicts(sigs)));
}

/**
 * A chord: run `header` in parallel, then `body` once with the list of their results.
 * @example
 * await chord([add.s(1, 1), add.s(2, 2)], xsum.s()).delay(); // xsum([2, 4]) → 6
 */
export function chord<R>(header: Iterable<SignatureLike> | Group<any>, body: Signature<R>): Chord<R> {
  const members = header instanceof Group ? [toDict(header)] : [...header].map(toDict);
  const sigs = header instanceof Group ? [header, body] : [...[...header], body];
  const h = members.length === 1 && members[0].subtask_type === "group" ? groupTasks(members[0]) : members;
  return new Chord<R>(hostOf(sigs as SignatureLike[]), chordDict(h, toDict(body)));
}

/** `celery.map`: one task calling `sig`'s task with each item of `it`, in one worker. */
export function xmap<R>(sig: Signature<R>, it: unknown[]): Signature<R[]> {
  return new Signature<R[]>(sig.host, mapDict(toDict(sig), it));
}

/** `celery.starmap`: one task calling `sig`'s task with each item of `it` spread as args. */
export function xstarmap<R>(sig: Signature<R>, it: unknown[][]): Signature<R[]> {
  return new Signature<R[]>(sig.host, starmapDict(toDict(sig), it));
}

/** `celery.chunks`: `it` in parts of `n`, sent as a group of `celery.starmap` tasks. */
export function chunks<R>(sig: Signature<R>, it: unknown[][], n: number): Chunks<R> {
  return new Chunks<R>(sig.host, chunksDict(toDict(sig), it, n));
}

function isIterable(v: unknown): v is Iterable<unknown> {
  return v != null && typeof (v as Iterable<unknown>)[Symbol.iterator] === "function" && typeof v !== "string";
}
