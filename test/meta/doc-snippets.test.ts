// Every TypeScript block of README.md and docs/*.md is type-checked (strict, as a user's tsc
// would) and the runnable ones are run, so the docs cannot drift from the API (issue #12).
//
// How to tag a block (the first word stays `ts`, so it renders highlighted as usual):
//   ```ts            a complete module: imports what it uses ("celeriac", "celeriac/adapters/...",
//                    "zod", "hono", "@upstash/redis", node:*), type-checked as it stands.
//   ```ts run        a complete module that is also run with tsx and must exit 0.
//   ```ts fragment   a piece of a program: type-checked with the names of FRAGMENT_GLOBALS below in
//                    scope (`app`, `add`, `env`, ...), which its own declarations and imports shadow.
// A complete block whose first line is a comment naming a path in this repo
// (`// test/conformance/<adapter>.test.ts`) is checked in that directory, so its relative imports resolve.
// Blocks in other languages (sh, toml, json, plain ```) are not checked.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { afterAll, describe, expect, it } from "vitest";

const FRAGMENT_GLOBALS = `
import type { AsyncResult, Celeriac, Task, Worker } from "celeriac";
import type { UpstashRedisEnv } from "celeriac/adapters/upstash-redis";
declare global {
  const app: Celeriac;
  const add: Task<[number, number], number>;
  const mul: Task<[number, number], number>;
  const xsum: Task<[number[]], number>;
  const pairs: [number, number][];
  const r: AsyncResult<number>;
  const worker: Worker;
  const signal: AbortSignal;
  const url: string;
  const token: string;
  /** A Worker's bindings / a process environment. */
  const env: Env;
  interface Env extends UpstashRedisEnv { [name: string]: string | undefined }
  // Cloudflare's types as \`wrangler types\` or @cloudflare/workers-types declare them (the parts used).
  interface ScheduledController { readonly scheduledTime: number; readonly cron: string }
  interface ExecutionContext { waitUntil(promise: Promise<unknown>): void }
  interface ExportedHandler<E = unknown> {
    fetch?(request: Request, env: E, ctx: ExecutionContext): Response | Promise<Response>;
    scheduled?(controller: ScheduledController, env: E, ctx: ExecutionContext): void | Promise<void>;
  }
  // Deno's, the parts used.
  namespace Deno {
    function cron(name: string, schedule: string, handler: () => unknown): Promise<void>;
    function cron(name: string, schedule: string, options: { backoffSchedule?: number[]; signal?: AbortSignal }, handler: () => unknown): Promise<void>;
  }
}
export {};
`;

interface Block {
  source: string;
  line: number;
  kind: "module" | "run" | "fragment";
  code: string;
  /** Where a complete block is checked, when its first line names a repo path (else the temp dir). */
  at?: string;
}

function blocks(path: string): Block[] {
  const out: Block[] = [];
  const lines = readFileSync(path, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\b\s*(\w*)/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    while (i + 1 < lines.length && !/^```\s*$/.test(lines[i + 1])) i++;
    const tag = open[2];
    if (tag && tag !== "run" && tag !== "fragment") throw new Error(`${path}:${start}: unknown tag "ts ${tag}" (ts, ts run, ts fragment)`);
    const code = lines.slice(start, i + 1).join("\n");
    const named = /^\/\/ ((?:test|examples|src|adapters|workers|bench)\/\S+\.ts)\b/.exec(code);
    const at = named && !tag && existsSync(dirname(named[1])) ? dirname(named[1]) : undefined;
    out.push({ source: path, line: start, kind: tag === "run" ? "run" : tag === "fragment" ? "fragment" : "module", code, at });
    i++;
  }
  return out;
}

const sources = ["README.md", ...readdirSync("docs").filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const all = sources.flatMap(blocks);
mkdirSync(".scratch", { recursive: true });
const dir = mkdtempSync(join(".scratch", "doc-snippets-"));
const fileOf = (b: Block): string => `${b.source.replace(/\W+/g, "_")}_${b.line}.ts`;
const placed = (b: Block): string => join(b.at!, `.doc-snippet-${process.pid}-${fileOf(b)}`);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const b of all) if (b.at) rmSync(placed(b), { force: true });
});

// The files tsc checks: complete modules in `dir`, fragments (with the globals) in `dir/fragments`.
mkdirSync(join(dir, "fragments"));
for (const b of all) writeFileSync(b.at ? placed(b) : join(dir, b.kind === "fragment" ? "fragments" : "", fileOf(b)), `${b.code}\nexport {};\n`);
writeFileSync(join(dir, "fragments/globals.d.ts"), FRAGMENT_GLOBALS);
const PATHS = {
  celeriac: ["mod.ts"], "celeriac/adapters/*": ["adapters/*/mod.ts"], "celeriac/cli": ["workers/node/cli.ts"],
  "celeriac/workers/node": ["workers/node/serve.ts"], "celeriac/workers/*": ["workers/*/mod.ts"],
};
function tsconfig(up: string, include: string[]): string {
  const paths = Object.fromEntries(Object.entries(PATHS).map(([k, v]) => [k, v.map((p) => up + p)]));
  return JSON.stringify({ extends: `${up}tsconfig.json`, compilerOptions: { noUnusedLocals: false, noEmit: true, paths }, include });
}
writeFileSync(join(dir, "tsconfig.json"), tsconfig("../../", all.filter((b) => b.kind !== "fragment").map((b) => (b.at ? `../../${placed(b)}` : fileOf(b)))));
writeFileSync(join(dir, "fragments/tsconfig.json"), tsconfig("../../../", ["globals.d.ts", ...all.filter((b) => b.kind === "fragment").map(fileOf)]));

function exec(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    child.on("close", (code) => done({ code, out }));
  });
}

describe("code blocks in README.md and docs/*.md", () => {
  it("there are blocks of each kind", () => {
    expect(all.filter((b) => b.kind === "run").length).toBeGreaterThan(0);
    expect(all.filter((b) => b.kind === "fragment").length).toBeGreaterThan(0);
  });

  it("every ts block type-checks under strict tsc", async () => {
    const results = await Promise.all([join(dir, "tsconfig.json"), join(dir, "fragments/tsconfig.json")].map((p) => exec("node_modules/.bin/tsc", ["-p", p])));
    const byFile = new Map(all.map((b) => [b.at ? placed(b).split("/").pop()! : fileOf(b), b]));
    // Point each error at the Markdown line it comes from.
    const errors = results.flatMap((r) => r.out.split("\n").filter((l) => /error TS/.test(l))).map((l) => {
      const m = /([\w.-]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l);
      const b = m && byFile.get(m[1]);
      return b && m ? `${b.source}:${b.line + Number(m[2])}: ${m[4]}` : l;
    });
    expect(errors, errors.join("\n")).toEqual([]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
  }, 240_000);

  for (const b of all.filter((x) => x.kind === "run")) {
    it(`${b.source}:${b.line} runs and exits 0`, async () => {
      const file = join(dir, `run_${fileOf(b)}`);
      writeFileSync(file, `${b.code}\nexport {};\n`);
      const r = await exec("node_modules/.bin/tsx", ["--tsconfig", join(dir, "tsconfig.json"), file]);
      expect(r.code, r.out).toBe(0);
    }, 60_000);
  }
});
