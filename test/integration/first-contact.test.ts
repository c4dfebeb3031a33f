// A new user's path, from the packed package (issue #12): `npm pack`, installed into an empty
// project, then what the README's Install section says to type, on Node, Bun (bunx) and Deno
// (the package as JSR serves it: a deno.json `links` entry stands in for the published version).
import { spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPackage, installed, installInto, packRepo, REPO, sh, tempDir, writeFiles } from "../support/first-contact.ts";

const TASKS = `import { Celeriac } from "celeriac";
export const app = new Celeriac("tasks");
export const add = app.task("tasks.add", (a: number, b: number): number => a + b);
await add.delay(2, 3);
const g = globalThis as { Bun?: unknown; Deno?: unknown };
console.error("runtime:", g.Bun ? "bun" : g.Deno ? "deno" : "node");
`;
const DRAINED = { processed: 1, succeeded: 1, failed: 0 };

describe("the packed package in an empty project", () => {
  const tmp = tempDir("first-contact");
  const project = `${tmp.dir}/project`;

  beforeAll(async () => {
    const tarball = await packRepo(tmp.dir);
    writeFiles(project, { "tasks.ts": TASKS });
    await installInto(project, tarball);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it("installs only what the core needs: celeriac and croner", () => {
    expect(installed(project)).toEqual(["celeriac", "croner"]);
  });

  it("importing the Upstash adapter without @upstash/redis is a ConfigError naming the package", async () => {
    const r = await sh("node", ["-e", `import("celeriac/adapters/upstash-redis").then(() => console.log("loaded"), (e) => console.log(e.name, e.message))`], project);
    expect(r.stdout).toMatch(/^ConfigError .*needs the @upstash\/redis client.*npm install @upstash\/redis/);
    const undo = addPackage(project, "@upstash/redis");
    try {
      const ok = await sh("node", ["-e", `import("celeriac/adapters/upstash-redis").then((m) => console.log(typeof m.fromEnv))`], project);
      expect(ok.stdout.trim()).toBe("function");
    } finally {
      undo();
    }
  });

  it("npx celeriac worker -A tasks.ts on Node 20 without tsx says what to install (exit 2)", async () => {
    const r = await sh("npx", ["celeriac", "worker", "-A", "tasks.ts", "--drain"], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not load TypeScript by itself[\s\S]*npm install -D tsx/);
  });

  it("npx celeriac worker -A tasks.ts runs the TypeScript module once tsx is installed", async () => {
    const undo = addPackage(project, "tsx");
    try {
      const r = await sh("npx", ["celeriac", "worker", "-A", "tasks.ts", "--drain"], project);
      expect(r.stderr).toMatch(/runtime: node/);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject(DRAINED);
      // In a CommonJS package tsx compiles tasks.ts to require(), which an ESM-only package refuses.
      writeFiles(project, { "cjs/package.json": `{ "type": "commonjs" }`, "cjs/tasks.ts": TASKS });
      const cjs = await sh("npx", ["celeriac", "worker", "-A", "cjs/tasks.ts", "--drain"], project);
      expect(cjs.code).toBe(2);
      expect(cjs.stderr).toMatch(/loaded as CommonJS[\s\S]*celeriac is ESM only. Add "type": "module" to package.json, or rename it to .*tasks\.mts/);
    } finally {
      undo();
    }
  });

  it("through npx, a second Ctrl+C during the warm shutdown (a cold shutdown) exits 130", async () => {
    const undo = addPackage(project, "tsx");
    // A task that ignores its abort signal keeps the warm shutdown waiting.
    writeFiles(project, { "slow.ts": `import { Celeriac } from "celeriac";
export const app = new Celeriac("slow");
const slow = app.task("slow.sleep", () => new Promise((done) => setTimeout(done, 120_000)));
await slow.delay();
` });
    const child = spawn("npx", ["celeriac", "worker", "-A", "slow.ts"], { cwd: project, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    // The status a shell shows: npx may itself die of the SIGINT (128 + 2), the CLI exits 130.
    const exited = new Promise<number>((done) => child.on("close", (code, sig) => done(code ?? 128 + constants.signals[sig!])));
    const waitFor = async (re: RegExp): Promise<void> => {
      for (const deadline = Date.now() + 60_000; !re.test(stderr); await delay(50)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in:\n${stderr}`);
      }
    };
    try {
      await waitFor(/ready/);
      process.kill(-child.pid!, "SIGINT"); // Ctrl+C: the terminal signals the whole group (npx and the CLI)
      await waitFor(/SIGINT, warm shutdown/);
      await delay(1500); // a second Ctrl+C counts only after a second (one Ctrl+C may arrive twice)
      process.kill(-child.pid!, "SIGINT");
      expect(await exited, stderr).toBe(130);
      expect(stderr).toMatch(/SIGINT again, cold shutdown/);
    } finally {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* gone */ }
      undo();
    }
  }, 120_000);

  it("bunx celeriac runs the CLI under Bun, which imports TypeScript itself", async () => {
    const r = await sh("bunx", ["celeriac", "worker", "-A", "tasks.ts", "--drain"], project);
    expect(r.stderr).toMatch(/runtime: bun/);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject(DRAINED);
  });

  it("strict tsc type-checks a user's module against the package's declarations", async () => {
    const undo = addPackage(project, "@upstash/redis");
    writeFiles(project, {
      "tsconfig.json": JSON.stringify({
        compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022", "dom"], noEmit: true },
        include: ["tasks.ts", "upstash.ts"],
      }),
      "upstash.ts": `import { Celeriac } from "celeriac";
import { fromEnv, type UpstashRedisEnv } from "celeriac/adapters/upstash-redis";
export default { fetch: (req: Request, env: UpstashRedisEnv) => new Celeriac("tasks", fromEnv(env)).worker().fetch(req) };
`,
    });
    try {
      const r = await sh(`${REPO}/node_modules/.bin/tsc`, ["-p", "."], project);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    } finally {
      undo();
    }
  }, 120_000);

  it("npx celeriac dev without ioredis says what to install (exit 2), and serves once it is installed", async () => {
    const r = await sh("npx", ["celeriac", "dev", "--port", "0"], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs ioredis[\s\S]*npm install -D ioredis/);
    // Once installed, npx celeriac dev serves (Redis need not be up: it says so and keeps serving).
    const undo = addPackage(project, "ioredis");
    const child = spawn("npx", ["celeriac", "dev", "--port", "0", "--qstash-port", "0", "--redis-url", "redis://127.0.0.1:1"], { cwd: project, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    try {
      for (const deadline = Date.now() + 60_000; !/Press Ctrl\+C to stop/.test(out); await delay(50)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`celeriac dev did not start:\n${out}`);
      }
      expect(out).toMatch(/^UPSTASH_REDIS_REST_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    } finally {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* gone */ }
      undo();
    }
  }, 120_000);
});

describe("Deno, as a JSR user", () => {
  const tmp = tempDir("first-contact-deno");
  // `links` makes jsr:@celeriac/celeriac resolve to this checkout, with its own deno.json import
  // map applied, as JSR applies it to the published package.
  beforeAll(() => {
    writeFiles(tmp.dir, {
      "deno.json": JSON.stringify({ links: [REPO], imports: { celeriac: "jsr:@celeriac/celeriac@^0.1.0" } }),
      "tasks.ts": TASKS,
      "main.ts": `import { Celeriac } from "jsr:@celeriac/celeriac";
import { memoryBroker } from "jsr:@celeriac/celeriac/adapters/memory";
const app = new Celeriac("tasks", { broker: memoryBroker() });
const add = app.task("tasks.add", (a: number, b: number) => a + b);
const r = await add.delay(2, 2);
await app.worker().drain();
console.log(await r.get({ timeout: 1000 }));
`,
    });
  });
  afterAll(() => tmp.cleanup());

  it("a plain deno run of a script importing the package", async () => {
    const r = await sh("deno", ["run", "main.ts"], tmp.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("4");
  }, 120_000);

  it("deno run -A jsr:@celeriac/celeriac/cli worker -A tasks.ts", async () => {
    const r = await sh("deno", ["run", "-A", "jsr:@celeriac/celeriac/cli", "worker", "-A", "tasks.ts", "--drain"], tmp.dir);
    expect(r.stderr).toMatch(/runtime: deno/);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject(DRAINED);
  }, 120_000);
});
