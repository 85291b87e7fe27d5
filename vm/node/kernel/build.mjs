#!/usr/bin/env node
// Builds build/bpf-runner (the kernel engine's native helper) from bpf_runner.c with `cc -O2`.
// It never fails the build: without Linux, a C compiler or <linux/bpf.h> the kernel engine is
// simply unavailable (it says why), so this prints the reason it skipped and exits 0.
// It rebuilds only when the source is newer than the binary.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const source = join(here, "bpf_runner.c");
const output = join(root, "build", "bpf-runner");

function skip(reason) {
  console.log(`build:native: skipped bpf-runner (${reason}); the kernel engine will be unavailable`);
  process.exit(0);
}

if (process.platform !== "linux") skip(`platform is ${process.platform}, bpf(2) is Linux-only`);
if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) {
  console.log(`build:native: ${output} is up to date`);
  process.exit(0);
}
const cc = process.env.CC || "cc";
try {
  execFileSync(cc, ["--version"], { stdio: "ignore" });
} catch {
  skip(`no C compiler: '${cc}' did not run`);
}
mkdirSync(dirname(output), { recursive: true });
// Build beside the target and rename: test processes may build at the same time, and one of
// them may be running the old binary.
const partial = `${output}.${process.pid}.tmp`;
try {
  execFileSync(cc, ["-O2", "-Wall", "-Wextra", "-o", partial, source], { stdio: ["ignore", "inherit", "pipe"] });
  renameSync(partial, output);
} catch (err) {
  rmSync(partial, { force: true });
  const stderr = String(err.stderr ?? "").trim();
  const why = /linux\/bpf\.h/.test(stderr) ? "<linux/bpf.h> not found (install the kernel headers, e.g. linux-libc-dev)" : `${cc} failed: ${stderr.split("\n")[0] ?? err.message}`;
  skip(why);
}
console.log(`build:native: built ${output}`);
