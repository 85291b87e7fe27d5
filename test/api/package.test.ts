// What `npm pack` puts in the package (package.json "files"): everything an installed copy needs
// at run time — the compiled code, the maps runtime builds (found from dist/ through the
// package root, not through files only a checkout has), the CLI, the kernel helper's source and
// build script — and no sources or tests it does not need. An installed package was once unable
// to find build/maps.wasm; this keeps the list honest.

import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function packedFiles(): string[] {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", "--dry-run", "--ignore-scripts", "--json"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
}

describe("npm package contents", () => {
  it("ships what an installed copy runs with, and nothing of the checkout's tests or sources", () => {
    const files = new Set(packedFiles());
    for (const needed of [
      "package.json", "README.md", "LICENSE",
      "dist/index.js", "dist/node.js", "dist/bin/cli/main.js", "bin/ebpf-wasm.js",
      "build/maps.wasm", "build/maps.unshared.wasm",
      "dist/vm/pool/worker.node.js", "dist/vm/pool/web/worker.js",
      "vm/node/kernel/bpf_runner.c", "vm/node/kernel/build.mjs",
    ]) expect(files.has(needed), needed).toBe(true);
    for (const f of files) {
      expect(f.startsWith("test/") || f.startsWith("dist/test/"), f).toBe(false);
      expect(/\.ts$/.test(f) && !f.endsWith(".d.ts"), f).toBe(false);
    }
  });
});
