// Reading a BPF object (.o) for a command: a missing file or a malformed object is a one-line
// CliError naming the path, with the exit status the command documents (verify uses 2).

import { BpfError } from "../../vm/errors.js";
import { loadObject, withProgramType, type BpfObject } from "../../vm/elf/load/index.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import { CliError, stringOption, type OptionSpec, type ParsedArgs } from "./args.js";
import { readBytes } from "./io.js";

/** `--type`: the program type of every program of the object, when its section names none. */
export const TYPE_OPTION: OptionSpec = {
  type: "string",
  valueName: "TYPE",
  description: "PROG.o: run its programs as xdp, sched_cls, socket_filter, cgroup_skb (ingress) or lwt_in / lwt_out / lwt_xmit / lwt_seg6local whatever their section names say (as tc's or Suricata's loaders choose)",
};

export function readObject(path: string, exitCode = 1, args?: ParsedArgs): BpfObject {
  const type = args ? stringOption(args, "type") : undefined;
  try {
    const obj = loadObject(readBytes(path, "BPF object"));
    return type === undefined ? obj : withProgramType(obj, type as ProgramTypeName);
  } catch (err) {
    if (err instanceof BpfError || err instanceof CliError) throw new CliError(`cannot load '${path}': ${err.message}`, exitCode);
    throw err;
  }
}
