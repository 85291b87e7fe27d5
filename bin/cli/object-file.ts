// Reading a BPF object (.o) for a command: a missing file or a malformed object is a one-line
// CliError naming the path, with the exit status the command documents (verify uses 2).

import { BpfError } from "../../vm/errors.js";
import { loadObject, type BpfObject } from "../../vm/elf/load/index.js";
import { CliError } from "./args.js";
import { readBytes } from "./io.js";

export function readObject(path: string, exitCode = 1): BpfObject {
  try {
    return loadObject(readBytes(path, "BPF object"));
  } catch (err) {
    if (err instanceof BpfError || err instanceof CliError) throw new CliError(`cannot load '${path}': ${err.message}`, exitCode);
    throw err;
  }
}
