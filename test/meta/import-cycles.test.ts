import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

// The core is layered (docs/architecture.md): a module never reaches, directly or through
// others, a module that imports it. Type-only imports count as much as value imports.

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const code = (p: string): string => readFileSync(p, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");

/** Relative specifiers of every `import`/`export ... from`, `import type` and `import("...")`. */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  const patterns = [/(?:^|[;\s])(?:import|export)\b[^;"'`]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g, /\bimport\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]!);
  return [...new Set(out)];
}

function graph(roots: string[]): Map<string, string[]> {
  const nodes = roots.flatMap(files).map((p) => normalize(p));
  const inside = new Set(nodes);
  const g = new Map<string, string[]>();
  for (const p of nodes) {
    g.set(p, relativeImports(code(p)).map((s) => normalize(join(dirname(p), s))).filter((t) => inside.has(t)));
  }
  return g;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) !== idx.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe("import graph", () => {
  it("the import parser sees value, type-only, re-export and dynamic imports", () => {
    const src = `import { a } from "./a.ts";\nimport type { B } from "../b.ts";\nexport { c } from "./c.ts";\n` +
      `import {\n  d,\n  type E,\n} from "./d.ts";\nconst f = await import("./f.ts");\nimport "./g.ts";\nimport x from "pkg";`;
    expect(relativeImports(src).sort()).toEqual(["../b.ts", "./a.ts", "./c.ts", "./d.ts", "./f.ts", "./g.ts"]);
  });

  it("the cycle finder reports a circle", () => {
    const g = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    expect(cycles(g)).toEqual([["a", "b", "c"]]);
  });

  it("src/ and adapters/ have no import cycle (type-only imports included)", () => {
    expect(cycles(graph(["src", "adapters"]))).toEqual([]);
  });
});
