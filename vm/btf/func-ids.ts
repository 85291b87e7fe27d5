// The type ids of named FUNCs in a BTF blob, without building the whole type table: a walk over
// the type records that decodes only their kind and, for FUNCs, their name. For vmlinux BTF
// (~130,000 types; the kernel engine resolves kfunc names to their ids there:
// vm/node/kernel/kfunc-btf.ts) this takes milliseconds where parseBtf takes about a second.

import { BpfError } from "../errors.js";
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_TYPE_SIZE, BtfKind, trailerSize } from "./kinds.js";

/** name → BTF type id of each FUNC of `names` found in `bytes` (a .BTF blob, little-endian). */
export function funcIds(bytes: Uint8Array, names: ReadonlySet<string>): Map<string, number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < BTF_HEADER_SIZE || view.getUint16(0, true) !== BTF_MAGIC) throw new BpfError("not a little-endian BTF blob (bad magic)", { offset: 0 });
  const hdrLen = view.getUint32(4, true);
  const typeStart = hdrLen + view.getUint32(8, true);
  const typeEnd = typeStart + view.getUint32(12, true);
  const strStart = hdrLen + view.getUint32(16, true);
  if (typeEnd > bytes.length || strStart > bytes.length) throw new BpfError("BTF sections run past the end of the blob", { offset: 8 });
  const wanted = new Map<string, Uint8Array>([...names].map((n) => [n, new TextEncoder().encode(n + "\0")]));
  const found = new Map<string, number>();
  let at = typeStart;
  for (let id = 1; at < typeEnd && found.size < wanted.size; id++) {
    const info = view.getUint32(at + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const extra = trailerSize(kind, info & 0xffff);
    if (extra === undefined) throw new BpfError(`BTF type ${id}: unknown kind ${kind}`, { offset: at });
    if (kind === BtfKind.FUNC) {
      const name = strStart + view.getUint32(at, true);
      for (const [n, z] of wanted) {
        if (!found.has(n) && startsWith(bytes, name, z)) found.set(n, id);
      }
    }
    at += BTF_TYPE_SIZE + extra;
  }
  return found;
}

function startsWith(bytes: Uint8Array, at: number, z: Uint8Array): boolean {
  if (at + z.length > bytes.length) return false;
  for (let i = 0; i < z.length; i++) if (bytes[at + i] !== z[i]) return false;
  return true;
}
