// Regenerate corpus/pcap/gen/*.pcap from corpus/gen/captures.ts:
//
//   npm run build && node dist/corpus/gen/regenerate.node.js [--check]
//
// --check writes nothing and exits 1 if a committed file differs from what its spec produces.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATED_CAPTURES } from "./captures.js";
import { generatePcap } from "./generate.js";

/** corpus/pcap/gen, found from this file whether it runs from source or from dist/. */
function outputDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the project root (package.json)");
    dir = up;
  }
  return resolve(dir, "corpus/pcap/gen");
}

const check = process.argv.includes("--check");
const out = outputDir();
mkdirSync(out, { recursive: true });
let differ = 0;
let total = 0;
for (const [file, spec] of Object.entries(GENERATED_CAPTURES)) {
  const bytes = generatePcap(spec);
  total += bytes.length;
  const path = join(out, file);
  const same = existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0;
  if (check) {
    if (!same) differ++;
    console.log(`${same ? "same   " : "DIFFERS"} ${file} (${spec})`);
  } else {
    writeFileSync(path, bytes);
    console.log(`wrote ${file}: ${spec}, ${bytes.length} bytes`);
  }
}
console.log(`${Object.keys(GENERATED_CAPTURES).length} captures, ${total} bytes`);
if (differ) process.exit(1);
