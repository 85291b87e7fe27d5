// The committed clang objects (test/elf/fixtures/*.o, rebuilt by fixtures/build.sh).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = ["return_const", "local_calls", "xdp_map"] as const;
export type Fixture = (typeof FIXTURES)[number];

export function fixture(name: Fixture): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}.o`, import.meta.url))));
}

/** The clang objects of the program corpus (corpus/programs/*.o), by file name. */
export function corpusObjects(): Array<[string, Uint8Array]> {
  const dir = fileURLToPath(new URL("../../corpus/programs/", import.meta.url));
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".o"))
    .sort()
    .map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]);
}
