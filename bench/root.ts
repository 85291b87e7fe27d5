// The package root (where package.json is), from a module's location in bench/ or dist/bench/.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "ebpf-wasm") return dir;
    } catch {
      // not here: keep climbing
    }
    const up = resolve(dir, "..");
    if (up === dir) throw new Error("cannot find the ebpf-wasm package root (package.json)");
    dir = up;
  }
}
