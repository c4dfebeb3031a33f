import { it } from "vitest";
import { allCases } from "./cases/index.ts";
import { memoryFixture } from "./fixtures.ts";

for (const c of allCases(memoryFixture())) it(`memory: ${c.name}`, c.fn);
