// `ebpf-wasm conformance [DIR|FILE...]`: run bpf_conformance `.data` tests on an engine and
// print one line per test and a summary line `N passed, N failed` (`, N skipped` when a test
// was skipped for a stated reason). Exit status 0 only when no test failed.

import { basename, join } from "node:path";
import { BpfError } from "../../../vm/errors.js";
import { getEngine, engineNames } from "../../../vm/engines.js";
import { parseDataFile } from "../../../vm/conformance/datafile.js";
import { conformanceMachine, runConformanceTest, type ConformanceOutcome } from "../../../vm/conformance/run.js";
import { CliError, stringOption, UsageError, type CommandSpec } from "../args.js";
import type { Command } from "../command.js";
import { findFiles, packageRoot, readText } from "../io.js";
import { ENGINE_OPTIONS, engineOptions, UNVERIFIED_ACCESS_NOTE } from "../engine-options.js";

const spec: CommandSpec = {
  name: "conformance",
  summary: "Run bpf_conformance .data tests on an engine",
  usage: "conformance [DIR|FILE...] [--engine NAME] [--filter REGEX] [--quiet]",
  details: `DIR is searched recursively for *.data files (default: the package's corpus/conformance).
Each test runs as bpf_conformance runs it: r1 = pointer to a copy of '-- mem', r2 = its length;
r0 is compared with '-- result' as a 64-bit value. Prints PASS/FAIL/SKIP per test, then
'N passed, N failed'. Exit status: 0 when nothing failed, 1 otherwise.

${UNVERIFIED_ACCESS_NOTE}`,
  options: {
    engine: { type: "string", valueName: "NAME", default: "interpreter", description: `engine to run on (${engineNames().join(", ")})` },
    ...ENGINE_OPTIONS,
    filter: { type: "string", valueName: "REGEX", description: "only tests whose name matches REGEX" },
    quiet: { type: "boolean", description: "print only failures and the summary" },
  },
  maxPositionals: Infinity,
};

const testName = (path: string): string => basename(path).replace(/\.data$/, "");

export const conformance: Command = {
  spec,
  async run(args, io) {
    const paths = args.positionals.length > 0 ? args.positionals : [join(packageRoot(), "corpus", "conformance")];
    const files = paths.flatMap((p) => findFiles(p, ".data"));
    const filterText = stringOption(args, "filter");
    let filter: RegExp | undefined;
    try {
      filter = filterText === undefined ? undefined : new RegExp(filterText);
    } catch {
      throw new UsageError(`--filter: invalid regular expression '${filterText}'`);
    }
    const selected = files.filter((f) => !filter || filter.test(testName(f)));
    if (selected.length === 0) throw new CliError(`no .data tests found in ${paths.join(", ")}${filter ? ` matching /${filterText}/` : ""}`);

    const engine = await getEngine(stringOption(args, "engine")!, engineOptions(args));
    const machine = conformanceMachine();
    const quiet = args.options.quiet === true;
    const counts = { pass: 0, fail: 0, skip: 0 };
    for (const file of selected) {
      const outcome = await runFile(file, engine, machine);
      counts[outcome.status]++;
      if (!quiet || outcome.status === "fail") io.stdout(formatOutcome(outcome));
    }
    io.stdout(`${counts.pass} passed, ${counts.fail} failed${counts.skip > 0 ? `, ${counts.skip} skipped` : ""}\n`);
    return counts.fail === 0 ? 0 : 1;
  },
};

async function runFile(file: string, engine: Awaited<ReturnType<typeof getEngine>>, machine: ReturnType<typeof conformanceMachine>): Promise<ConformanceOutcome> {
  const name = testName(file);
  try {
    return await runConformanceTest(parseDataFile(readText(file, "test file"), name), engine, machine);
  } catch (err) {
    // A test file that does not parse is a failed test, reported with its reason.
    if (err instanceof BpfError || err instanceof CliError) return { name, status: "fail", message: err.message };
    throw err;
  }
}

function formatOutcome(o: ConformanceOutcome): string {
  if (o.status === "pass") return `PASS ${o.name}\n`;
  return `${o.status.toUpperCase()} ${o.name}: ${o.message}\n`;
}
