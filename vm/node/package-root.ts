// The ebpf-wasm package's root directory (where its package.json is), found upwards from this
// file: vm/node/ in a checkout, dist/vm/node/ when built or installed from npm. Node-only: the
// CLI, the benchmarks, the maps runtime loader and the kernel helper find their files from it.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BpfError } from "../errors.js";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "ebpf-wasm") return (root = dir);
    } catch {
      // not here: keep climbing
    }
    const up = resolve(dir, "..");
    if (up === dir) throw new BpfError(`cannot find the ebpf-wasm package root (package.json) above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
