// What a browser (or a bundler) loads from the package's main entry: the import graph of
// dist/index.js, read with TypeScript's parser. No module in it may import a Node built-in,
// statically or through a literal dynamic import (a bundler follows both); the only package it
// may import is Binaryen, and only dynamically (the JIT at opt >= 1), so that opt 0 never
// loads it. Needs the build (npm test builds first).

import { builtinModules } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRY = resolve(ROOT, "dist/index.js");

interface Edge {
  readonly from: string;
  readonly specifier: string;
  readonly dynamic: boolean;
}

/** Module specifiers of one file: import/export declarations and literal import() calls. */
function specifiers(file: string): Array<{ specifier: string; dynamic: boolean }> {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  const found: Array<{ specifier: string; dynamic: boolean }> = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, dynamic: false });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) found.push({ specifier: arg.text, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every module reachable from `entry` (static and literal dynamic imports) and every bare import. */
function importGraph(entry: string): { modules: Map<string, boolean>; bare: Edge[]; missing: Edge[] } {
  const modules = new Map<string, boolean>(); // file → reached statically
  const bare: Edge[] = [];
  const missing: Edge[] = [];
  const queue: Array<[string, boolean]> = [[entry, true]];
  while (queue.length > 0) {
    const [file, statically] = queue.shift()!;
    const seen = modules.get(file);
    if (seen === true || (seen === false && !statically)) continue;
    modules.set(file, statically);
    for (const { specifier, dynamic } of specifiers(file)) {
      const from = relative(ROOT, file);
      if (!specifier.startsWith(".")) {
        bare.push({ from, specifier, dynamic: dynamic || !statically });
        continue;
      }
      const target = resolve(dirname(file), specifier);
      if (existsSync(target)) queue.push([target, statically && !dynamic]);
      else missing.push({ from, specifier, dynamic });
    }
  }
  return { modules, bare, missing };
}

const isBuiltin = (specifier: string): boolean => specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]!);

describe("the import graph of dist/index.js (what a browser or bundler loads)", () => {
  if (!existsSync(ENTRY)) {
    it("needs the build", () => {
      expect.fail(`${ENTRY} is missing: run npm run build first`);
    });
    return;
  }
  const graph = importGraph(ENTRY);
  const files = [...graph.modules.keys()].map((f) => relative(ROOT, f));

  it("reaches the core and none of the Node-only folders", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain("dist/jit/engine.js");
    expect(files).toContain("dist/vm/maps/load.js");
    expect(files.filter((f) => /^dist\/(bin|bench|vm\/node|vm\/pool)\/|\.node\.js$/.test(f))).toEqual([]);
    expect(graph.missing).toEqual([]);
  });

  it("imports no Node built-in, statically or dynamically", () => {
    expect(graph.bare.filter((e) => isBuiltin(e.specifier))).toEqual([]);
  });

  it("imports no package but Binaryen, and Binaryen only on demand", () => {
    const packages = graph.bare.filter((e) => !isBuiltin(e.specifier));
    expect(packages.map((e) => `${e.from} → ${e.specifier}${e.dynamic ? " (dynamic)" : ""}`)).toEqual(["dist/jit/binaryen.js → binaryen (dynamic)"]);
  });
});

// The web pool is its own entry (a page imports dist/vm/pool/web/index.js, and its workers
// dist/vm/pool/web/worker.js): core code like dist/index.js, none of the Node pool's.
const POOL_ENTRIES: ReadonlyArray<[entry: string, core: string]> = [
  ["dist/vm/pool/web/index.js", "dist/vm/pool/base.js"],
  ["dist/vm/pool/web/worker.js", "dist/vm/pool/cpu.js"],
];
for (const [entry, core] of POOL_ENTRIES) {
  describe(`the import graph of ${entry} (the Web Worker pool)`, () => {
    const file = resolve(ROOT, entry);
    if (!existsSync(file)) {
      it("needs the build", () => {
        expect.fail(`${file} is missing: run npm run build first`);
      });
      return;
    }
    const graph = importGraph(file);
    const files = [...graph.modules.keys()].map((f) => relative(ROOT, f));

    it("reaches the shared pool core and nothing Node-only", () => {
      expect(files).toContain(core);
      expect(files.filter((f) => /^dist\/(bin|bench|vm\/node)\/|\.node\.js$/.test(f))).toEqual([]);
      expect(graph.missing).toEqual([]);
    });

    it("imports no Node built-in and no package but Binaryen, on demand", () => {
      expect(graph.bare.filter((e) => isBuiltin(e.specifier))).toEqual([]);
      expect(graph.bare.filter((e) => !isBuiltin(e.specifier)).map((e) => `${e.from} → ${e.specifier}${e.dynamic ? " (dynamic)" : ""}`)).toEqual(["dist/jit/binaryen.js → binaryen (dynamic)"]);
    });
  });
}
