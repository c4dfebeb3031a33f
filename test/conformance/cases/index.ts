import type { Case, Fixture } from "../harness.ts";
import { beatCases } from "./beat.ts";
import { canvasCases } from "./canvas.ts";
import { chordCases } from "./chords.ts";
import { deadLetterCases } from "./dead-letters.ts";
import { executionCases } from "./execution.ts";
import { interopCases } from "./interop.ts";
import { portCases } from "./ports.ts";
import { robustnessCases } from "./robustness.ts";
import { sendingCases } from "./sending.ts";
import { slotCases } from "./slots.ts";

/** Every conformance case, for one adapter fixture. */
export function allCases(f: Fixture): Case[] {
  return [
    ...portCases(f), ...sendingCases(f), ...executionCases(f), ...robustnessCases(f), ...canvasCases(f), ...beatCases(f),
    ...slotCases(f),
    ...interopCases(f),
    ...chordCases(f),
    ...deadLetterCases(f),
  ].filter((c) => !c.needs?.some((t) => f.lacks?.includes(t)));
}
