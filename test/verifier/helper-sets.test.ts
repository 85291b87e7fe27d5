// Which helper ids xdp, tc, socket filter and cgroup_skb programs may call, id by id against the
// kernel's func_proto (a bare `call N` loaded with BPF_PROG_LOAD): every helper a machine of the
// type offers is one the kernel allows for it; "cannot use helper" only where the kernel says
// so; "not implemented here ... the kernel allows it" only where it does (helper-rules.ts).
// Prints, per type, the ids the kernel allows that are not built here. The lwt types have the
// same check in lwt.test.ts.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES, type ProgramTypeName } from "../../vm/programs/types.js";
import { kernelHelperName } from "../../vm/verifier/helper-names.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability, kernelRefusal } from "../kernel/available.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason}): the helper sets are compared with the kernel's`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const TYPES: readonly ProgramTypeName[] = ["xdp", "sched_cls", "socket_filter", "cgroup_skb"];
/** The highest helper id of 6.18 (__BPF_FUNC_MAX_ID - 1). */
const LAST_ID = 211;
const tables = nodeHelperTables();
const KERNEL_REFUSES = /cannot use helper|unknown func|invalid func/;

describe.skipIf(!status.ok)("helper sets, id by id against the kernel (func_proto)", () => {
  for (const type of TYPES) {
    it(type, () => {
      const helpers = tables(type);
      const notBuilt: string[] = [];
      let offered = 0;
      for (let id = 1; id <= LAST_ID; id++) {
        const insns = assemble(`call ${id}\nmov %r0, 0\nexit`);
        const kernelRefuses = KERNEL_REFUSES.test(kernelRefusal(insns, { type: PROGRAM_TYPES[type].kernelType! }) ?? "");
        const mine = verify(insns, { type, helpers }).reason ?? "";
        const what = `${type} helper ${id} (${kernelHelperName(id) ?? "?"}): ours '${mine}'`;
        if (helpers.has(id)) {
          offered++;
          expect(kernelRefuses, `${what}: offered here, refused by the kernel`).toBe(false);
        } else if (mine.includes("cannot use helper")) {
          expect(kernelRefuses, `${what}: the kernel allows it`).toBe(true);
        } else if (mine.includes("the kernel allows it")) {
          expect(kernelRefuses, `${what}: the kernel refuses it`).toBe(false);
          notBuilt.push(String(id));
        } else if (!kernelRefuses) {
          notBuilt.push(String(id));
        }
      }
      console.log(`${type}: ${offered} helpers built; the kernel also allows ${notBuilt.length} not built here: ${notBuilt.join(" ")}`);
      expect(offered).toBeGreaterThan(20);
    });
  }
});
