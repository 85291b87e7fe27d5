#!/usr/bin/env node
// The `ebpf-wasm` command: a shim that runs the compiled CLI (bin/cli/main.ts → dist/).
let cli;
try {
  cli = await import("../dist/bin/cli/main.js");
} catch (err) {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/bin/cli/main.js")) {
    process.stderr.write("ebpf-wasm: the CLI is not built yet; run `npm run build` first\n");
    process.exit(1);
  }
  throw err;
}
process.exitCode = await cli.main(process.argv.slice(2));
