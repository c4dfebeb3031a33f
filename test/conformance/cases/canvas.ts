import type { Case, Fixture } from "../harness.ts";

export function canvasCases(_f: Fixture): Case[] {
  return [];
}
