// A parsed .BTF section: types by id and what loaders and printers ask of them — skip
// typedefs and qualifiers, sizeof, a C-like name, the DATASEC of a section. Malformed type
// graphs (a typedef chain that loops, an array of itself) are refused with the offset of the
// type that starts the loop, never followed forever.

import { BpfError } from "../errors.js";
import { BtfKind, kindName } from "./kinds.js";
import type { BtfHeader } from "./parse.js";
import { hex } from "./reader.js";
import type { BtfStrings } from "./strings.js";
import type { BtfDatasec, BtfType } from "./types.js";

/** Longer chains than this are loops (the kernel's MAX_RESOLVE_DEPTH is 32). */
const MAX_DEPTH = 32;

const MODIFIERS: ReadonlySet<number> = new Set([
  BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT, BtfKind.TYPE_TAG,
]);

export class Btf {
  constructor(
    /** Index = type id; [0] is void. */
    readonly types: readonly BtfType[],
    readonly header: BtfHeader,
    private readonly strings: BtfStrings,
    /** File offset of the .BTF section. */
    readonly base: number,
  ) {}

  /** Number of types, void excluded. */
  get count(): number {
    return this.types.length - 1;
  }

  /** A string of the string section (e.g. a file name from .BTF.ext); `at` is the file offset to blame. */
  string(offset: number, what: string, at: number): string {
    return this.strings.get(offset, what, at - this.base);
  }

  type(id: number, what = "a reference"): BtfType {
    const t = this.types[id];
    if (!t) throw new BpfError(`BTF: ${what} names type id ${id}, but there are ${this.count} types`, { offset: this.base });
    return t;
  }

  private fail(t: BtfType, message: string): never {
    throw new BpfError(`BTF: type ${t.id} (${kindName(t.kind)}${t.name ? ` '${t.name}'` : ""}): ${message} (at byte ${hex(t.at)})`, { offset: t.at });
  }

  /** The type behind typedefs, const, volatile, restrict and type tags. */
  resolve(id: number, what?: string): BtfType {
    let t = this.type(id, what);
    const first = t;
    for (let depth = 0; MODIFIERS.has(t.kind); depth++) {
      if (depth >= MAX_DEPTH) this.fail(first, `typedef/qualifier chain longer than ${MAX_DEPTH} (a loop?)`);
      t = this.type((t as { type: number }).type, what);
    }
    return t;
  }

  /** sizeof the type, in bytes; refused for types without a size (void, functions, forward declarations). */
  sizeOf(id: number, what?: string, depth = 0): number {
    const t = this.resolve(id, what);
    if (depth >= MAX_DEPTH) this.fail(t, `nested more than ${MAX_DEPTH} deep (a loop?)`);
    switch (t.kind) {
      case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.ENUM64:
      case BtfKind.FLOAT: case BtfKind.DATASEC:
        return t.size;
      case BtfKind.PTR:
        return 8;
      case BtfKind.ARRAY: {
        const size = t.nelems * this.sizeOf(t.elemType, what, depth + 1);
        if (!Number.isSafeInteger(size) || size > 0xffffffff) this.fail(t, `array of ${t.nelems} elements is larger than 4 GiB`);
        return size;
      }
      case BtfKind.VAR:
        return this.sizeOf(t.type, what, depth + 1);
      default:
        return this.fail(t, `${kindName(t.kind)} has no size`);
    }
  }

  /** The DATASEC named `name` (".maps", ".data", ...), if any. */
  datasec(name: string): BtfDatasec | undefined {
    for (const t of this.types) if (t.kind === BtfKind.DATASEC && t.name === name) return t;
    return undefined;
  }

  /** Types called `name`, of `kind` when given. */
  byName(name: string, kind?: number): BtfType[] {
    return this.types.filter((t) => t.name === name && (kind === undefined || t.kind === kind));
  }

  /** A C-like spelling of a type, for messages and `ebpf-wasm maps`: "struct flow_key", "__u32", "int *", "char[16]". */
  typeName(id: number, depth = 0): string {
    const t = this.types[id];
    if (!t) return `<bad type ${id}>`;
    if (depth > MAX_DEPTH) return "...";
    const inner = (ref: number) => this.typeName(ref, depth + 1);
    switch (t.kind) {
      case BtfKind.UNKN: return "void";
      case BtfKind.INT: case BtfKind.FLOAT: case BtfKind.TYPEDEF: return t.name;
      case BtfKind.STRUCT: return `struct ${t.name || "(anon)"}`;
      case BtfKind.UNION: return `union ${t.name || "(anon)"}`;
      case BtfKind.ENUM: case BtfKind.ENUM64: return `enum ${t.name || "(anon)"}`;
      case BtfKind.FWD: return `${t.union ? "union" : "struct"} ${t.name}`;
      case BtfKind.PTR: return `${inner(t.type)} *`;
      case BtfKind.CONST: return `const ${inner(t.type)}`;
      case BtfKind.VOLATILE: return `volatile ${inner(t.type)}`;
      case BtfKind.RESTRICT: return `${inner(t.type)} restrict`;
      case BtfKind.TYPE_TAG: return `${inner(t.type)} __tag(${t.name})`;
      case BtfKind.ARRAY: return `${inner(t.elemType)}[${t.nelems}]`;
      case BtfKind.FUNC_PROTO: return `${inner(t.returnType)} (${t.params.map((p) => (p.type === 0 ? "..." : inner(p.type))).join(", ")})`;
      case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.DATASEC: case BtfKind.DECL_TAG: return t.name;
      default: return kindName((t as BtfType).kind);
    }
  }
}
