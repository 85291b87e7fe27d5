// The test suite every engine must pass: the whole bpf_conformance corpus, kernel-semantics edge
// cases per instruction kind, refusals of bad programs, and runtime faults. It reaches the
// engine only through vm/engines.ts, so an engine passes it by name:
//
//   defineEngineSuite("interpreter");            // test/engines/interpreter.test.ts
//   defineEngineSuite("jit", { boundsChecked: false });
//
// Checks that need an engine to police every memory access against the run's regions (the
// interpreter does; the JIT leaves that to the verifier) run only with `boundsChecked`.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { conformanceInput, conformanceMachine, runConformanceTest } from "../../vm/conformance/run.js";
import type { Engine, Machine, Region, RunInput } from "../../vm/engine.js";
import { getEngine } from "../../vm/engines.js";
import { BpfError } from "../../vm/errors.js";
import type { Insn } from "../../vm/isa/instruction.js";
import { SKB_DATA_END_OFFSET, SKB_DATA_OFFSET, SK_BUFF_SOCKET } from "../../vm/programs/skb.js";
import { BAD_PROGRAMS } from "./bad-programs.js";
import { ALL_SEMANTICS, TOO_DEEP } from "./semantics.js";

export interface EngineSuiteOptions {
  /** The engine checks every access against the stack and RunInput.regions. Default true. */
  readonly boundsChecked?: boolean;
}

const CORPUS = join(import.meta.dirname, "..", "..", "corpus", "conformance", "bpf_conformance");

export const corpusFiles = (): string[] => readdirSync(CORPUS).filter((f) => f.endsWith(".data")).sort();

const hexBytes = (text: string | undefined): Uint8Array =>
  new Uint8Array((text ?? "").split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16)));

/** Load and run a program; r0, or the BpfError it was refused or stopped with. */
export async function runProgram(engine: Engine, machine: Machine, insns: Insn[], input: RunInput): Promise<bigint | BpfError> {
  let loaded;
  try {
    loaded = await engine.load({ insns, name: "test" }, machine);
  } catch (err) {
    if (err instanceof BpfError) return err;
    throw err;
  }
  try {
    return loaded.run(input);
  } catch (err) {
    if (err instanceof BpfError) return err;
    throw err;
  } finally {
    loaded.dispose();
  }
}

/** An __sk_buff context over `packet` for LD_ABS / LD_IND, in CPU 0's slots. */
function skbInput(machine: Machine, packet: Uint8Array): RunInput {
  const cpu = machine.layout.cpu(0);
  const bytes = new Uint8Array(machine.memory.buffer);
  bytes.fill(0, cpu.ctx, cpu.ctx + SK_BUFF_SOCKET.size);
  bytes.set(packet, cpu.packetData);
  const view = new DataView(machine.memory.buffer);
  view.setUint32(cpu.ctx + SKB_DATA_OFFSET, cpu.packetData, true);
  view.setUint32(cpu.ctx + SKB_DATA_END_OFFSET, cpu.packetData + packet.length, true);
  const regions: Region[] = [
    { start: cpu.ctx, end: cpu.ctx + SK_BUFF_SOCKET.size, writable: false, name: "ctx" },
    { start: cpu.packetData, end: cpu.packetData + packet.length, writable: true, name: "packet" },
  ];
  return { args: [BigInt(cpu.ctx)], regions };
}

export function defineEngineSuite(engineName: string, options: EngineSuiteOptions = {}): void {
  const boundsChecked = options.boundsChecked ?? true;

  describe(`engine '${engineName}'`, () => {
    let engine: Engine;
    let machine: Machine;
    beforeAll(async () => {
      engine = await getEngine(engineName);
      machine = conformanceMachine();
    });

    const run = (asm: string, mem = new Uint8Array(0)) => runProgram(engine, machine, assemble(asm), conformanceInput(machine, mem));

    describe("bpf_conformance corpus", () => {
      it("has the 313 tests", () => expect(corpusFiles()).toHaveLength(313));
      for (const file of corpusFiles()) {
        it(file.replace(/\.data$/, ""), async () => {
          const test = parseDataFile(readFileSync(join(CORPUS, file), "utf8"), file);
          const outcome = await runConformanceTest(test, engine, machine);
          expect(outcome.message).toBe("");
          expect(outcome.status).toBe("pass");
        });
      }
    });

    for (const [kind, cases] of ALL_SEMANTICS) {
      describe(`semantics: ${kind}`, () => {
        for (const c of cases) {
          it(c.name, async () => {
            const r0 = await run(c.asm, hexBytes(c.mem));
            if (r0 instanceof BpfError) throw new Error(`${c.name}: ${r0.message}`);
            expect(`0x${r0.toString(16)}`).toBe(`0x${c.result.toString(16)}`);
          });
        }
      });
    }

    describe("semantics: LD_ABS / LD_IND on an __sk_buff in r6", () => {
      const packet = new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x80, 0x00, 0x00, 0x01]);
      const cases: Array<[string, string, bigint]> = [
        ["ldabsb", "ldabsb 1", 0x34n],
        ["ldabsh is big-endian", "ldabsh 2", 0x5678n],
        ["ldabsw is big-endian and zero-extended", "ldabsw 8", 0x80000001n],
        ["ldindb adds src and imm", "mov %r3, 4\nldindb %r3, 2", 0xden],
        ["ldindh", "mov %r3, 1\nldindh %r3, 1", 0x5678n],
        ["ldindw with a negative imm", "mov %r3, 12\nldindw %r3, -8", 0x9abcdef0n],
        ["out of the packet ends the program with r0 = 0", "ldabsw 9\nmov %r0, 5", 0n],
        // bpf_gen_ld_abs (net/core/filter.c) expands a failed load to `r0 = 0; exit`: it returns
        // from the current function, not from the whole program.
        ["out of the packet in a subprogram returns 0 from it", "call local f\nadd %r0, 7\nexit\nf:\nldabsb 100\nmov %r0, 5", 7n],
        ["negative offset ends the program with r0 = 0", "mov %r3, 1\nldindb %r3, -2\nmov %r0, 5", 0n],
        ["offset past the end by one byte", "ldabsh 11\nmov %r0, 5", 0n],
        ["last byte is readable", "ldabsb 11", 1n],
      ];
      for (const [name, body, result] of cases) {
        it(name, async () => {
          const r0 = await runProgram(engine, machine, assemble(`mov %r6, %r1\nmov %r0, 99\n${body}\nexit`), skbInput(machine, packet));
          if (r0 instanceof BpfError) throw new Error(r0.message);
          expect(r0).toBe(result);
        });
      }
    });

    describe("refusals of bad programs", () => {
      for (const bad of BAD_PROGRAMS) {
        it(`${bad.name}: refused at insn ${bad.insn}`, async () => {
          const err = await runProgram(engine, machine, bad.insns, conformanceInput(machine, new Uint8Array(0)));
          expect(err).toBeInstanceOf(BpfError);
          const message = (err as BpfError).message;
          expect(message).toMatch(bad.reason);
          if (bad.insns.length > 0) expect(message).toContain(`insn ${bad.insn}`);
          expect((err as BpfError).where.insn).toBe(bad.insn);
        });
      }
    });

    describe("runtime faults", () => {
      it("a call chain of nine frames stops with an error naming the call", async () => {
        const err = await run(TOO_DEEP);
        expect(err).toBeInstanceOf(BpfError);
        expect((err as BpfError).message).toMatch(/too deep/);
      });
      it("callx with an id no helper has stops with an error", async () => {
        const err = await run("mov %r3, 9999\ncallx %r3\nexit");
        expect(err).toBeInstanceOf(BpfError);
        expect((err as BpfError).message).toMatch(/9999/);
      });
      it("an access beyond the whole memory stops with an error", async () => {
        const err = await run("lddw %r1, 0x7ffffff0\nldxdw %r0, [%r1]\nexit");
        expect(err).toBeInstanceOf(BpfError);
        expect((err as BpfError).where.insn).toBe(2);
      });

      const bounds = boundsChecked ? it : it.skip;
      const why = boundsChecked ? "" : ` (skipped: '${engineName}' relies on the verifier for bounds)`;
      bounds(`a read past the input names the instruction and address${why}`, async () => {
        const err = await run("mov %r0, 0\nldxw %r0, [%r1+6]\nexit", hexBytes("01 02 03 04 05 06 07 08"));
        expect(err).toBeInstanceOf(BpfError);
        const e = err as BpfError;
        expect(e.where.insn).toBe(1);
        expect(e.message).toMatch(/^insn 1 .*invalid read of 4 bytes at 0x[0-9a-f]+/);
        expect(e.where.addr).toBe(machine.layout.cpu(0).packetData + 6);
      });
      bounds(`a write below the stack frame is refused${why}`, async () => {
        const err = await run("stdw [%r10-520], 1\nmov %r0, 0\nexit");
        expect(err).toBeInstanceOf(BpfError);
        expect((err as BpfError).message).toMatch(/^insn 0 .*invalid write of 8 bytes/);
      });
      bounds(`a null pointer read is refused${why}`, async () => {
        const err = await run("mov %r1, 0\nldxb %r0, [%r1]\nexit");
        expect((err as BpfError).message).toMatch(/insn 1 .*null pointer/);
      });
      bounds(`a write to a read-only region is refused${why}`, async () => {
        const input = skbInput(machine, new Uint8Array(4));
        const err = await runProgram(engine, machine, assemble("stw [%r1+0], 1\nmov %r0, 0\nexit"), input);
        expect((err as BpfError).message).toMatch(/insn 0 .*invalid write of 4 bytes.*'ctx' is read-only/);
      });
    });
  });
}
