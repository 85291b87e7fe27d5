// Node-side input and output for the CLI: the process's streams and files, with errors turned
// into one-line messages (CliError) instead of stack traces.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "./args.js";
import type { Io } from "./command.js";

export function processIo(): Io {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return err instanceof Error ? err.message : String(err);
}

export function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new CliError(`cannot read ${what} '${path}': ${describeFsError(err)}`);
  }
}

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${what} '${path}': ${describeFsError(err)}`);
  }
}

/** Files under `path` (itself if a file) whose names end in `ext`, recursively, sorted. */
export function findFiles(path: string, ext: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new CliError(`cannot read '${path}': ${describeFsError(err)}`);
  }
  if (!isDir) return [path];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(ext)) out.push(full);
    }
  };
  walk(path);
  return out;
}

/** The package's root directory (where package.json is). */
export { packageRoot } from "../../vm/node/package-root.js";
