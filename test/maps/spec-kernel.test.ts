// The kernel's own answers for spec-table.ts's definitions (BPF_MAP_CREATE through the kernel
// engine's bpf-runner), so the table that spec-rules.test.ts holds our rules to is the kernel's.
// Skipped, saying so, where bpf() is not available.

import { afterAll, describe, expect, test } from "vitest";
import { KernelError } from "../../vm/node/kernel/bridge.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { checkSpec } from "../../vm/maps/spec.js";
import { kernelAvailability } from "../kernel/available.js";
import { SPEC_CASES } from "./spec-table.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** 0 when the kernel creates the map (it is closed at once), else its errno. */
function kernelCreate(s: (typeof SPEC_CASES)[number]): number {
  try {
    kernelBridge().createMap({ type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags: s.flags, mapExtra: s.mapExtra }).close();
    return 0;
  } catch (err) {
    if (err instanceof KernelError) return err.errno;
    throw err;
  }
}

/** Our answer as an errno: 0, or the errno our refusal names. */
function ours(s: (typeof SPEC_CASES)[number]): number {
  try {
    checkSpec({ name: "m", ...s });
    return 0;
  } catch (err) {
    const name = /-(E[A-Z0-9]+)\)$/.exec((err as Error).message)?.[1];
    return ({ EINVAL: 22, E2BIG: 7, ENOTSUPP: 524 } as Record<string, number>)[name ?? ""] ?? -1;
  }
}

describe.skipIf(!status.ok)("BPF_MAP_CREATE answers what spec-table.ts says, and so do we", () => {
  test(`${SPEC_CASES.length} definitions`, () => {
    const got = SPEC_CASES.map((s) => ({ ...s, says: undefined, kernel: kernelCreate(s), ours: ours(s) }));
    expect(got.filter((g) => g.kernel !== g.errno || g.ours !== g.errno)).toEqual([]);
  });
});
