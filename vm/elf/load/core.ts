// CO-RE relocations (.BTF.ext core_relo, Documentation/bpf/llvm_reloc.rst "CO-RE Relocations").
// libbpf resolves them against the running kernel's BTF. Here the "kernel" a program runs on is
// this runtime, and the only kernel structs a program of the types we run can reach are the
// contexts we lay out ourselves: struct xdp_md and struct __sk_buff (vm/programs). A program
// built against vmlinux.h, where every struct has preserve_access_index, turns each `ctx->field`
// into a field relocation on those structs; such a relocation is satisfied when our layout has
// the field at the offset and size the object's own BTF gives it — then the instruction clang
// emitted already holds the right value and nothing is patched (libbpf would patch it to the
// same value). The other structs such a program reaches are packet headers — struct ethhdr,
// iphdr, tcphdr, ... — whose layout is the wire format: the kernel's BTF has them exactly as
// the object's (vmlinux.h is generated from it), so libbpf resolves every relocation on them to
// the value clang emitted, and so do we (WIRE_FORMATS). Every other relocation (kernel-internal
// structs such as task_struct, whose layout only a running kernel's BTF knows) is refused with
// its kind, type and access string.

import { BpfError } from "../../errors.js";
import type { Btf } from "../../btf/btf.js";
import type { CoreRelo } from "../../btf/ext.js";
import { BtfKind } from "../../btf/kinds.js";
import { INSN_SIZE } from "../../isa/instruction.js";
import type { CtxLayout } from "../../programs/context.js";
import { SK_BUFF_TC } from "../../programs/skb.js";
import { XDP_MD } from "../../programs/xdp.js";
import { hex } from "../bytes.js";
import type { PlacedFunction } from "./link.js";

/** enum bpf_core_relo_kind values we can answer for the context structs. */
const FIELD_BYTE_OFFSET = 0;
const FIELD_BYTE_SIZE = 1;
const FIELD_EXISTS = 2;
const TYPE_EXISTS = 8;
const TYPE_SIZE = 9;
const SATISFIABLE = new Set([FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS, TYPE_EXISTS, TYPE_SIZE]);

/** TYPE_ID_TARGET: the type's id in the kernel's BTF (bpf_core_type_id_kernel), which no answer here stands for. */
const TYPE_ID_TARGET = 7;

/**
 * Packet headers and helper argument structs whose layout is fixed by the wire format or the
 * UAPI (include/uapi/linux/if_ether.h, ip.h, ipv6.h, tcp.h, udp.h, icmp.h, icmpv6.h, if_arp.h,
 * in.h, in6.h, igmp.h, if_pppox.h, bpf.h; the VLAN header of include/linux/if_vlan.h is the
 * 802.1Q tag itself): every CO-RE relocation on them resolves to the object's own layout.
 */
const WIRE_FORMATS: ReadonlySet<string> = new Set([
  "ethhdr", "vlan_hdr", "vlan_ethhdr", "arphdr", "iphdr", "ipv6hdr", "ipv6_opt_hdr", "ipv6_rt_hdr", "frag_hdr",
  "ip_auth_hdr", "ip_esp_hdr", "tcphdr", "udphdr", "icmphdr", "icmp6hdr", "igmphdr", "sctphdr", "pppoe_hdr",
  "in_addr", "in6_addr", "bpf_sock_tuple", "bpf_fib_lookup", "bpf_tunnel_key",
]);

/** Target structs by name: the contexts as this runtime lays them out (UAPI offsets). */
const TARGETS: ReadonlyMap<string, CtxLayout> = new Map([[XDP_MD.name, XDP_MD], [SK_BUFF_TC.name, SK_BUFF_TC]]);

/** Check every CO-RE relocation inside the program's functions; throw for one we cannot satisfy. */
export function checkCoreRelocations(btf: Btf | undefined, relos: ReadonlyMap<string, readonly CoreRelo[]>, functions: readonly PlacedFunction[]): void {
  for (const f of functions) {
    for (const r of relos.get(f.section) ?? []) {
      const slot = r.insnOff / INSN_SIZE;
      if (slot < f.start || slot >= f.start + f.length) continue;
      const why = btf ? unsatisfied(btf, r) : "the object has no .BTF";
      if (why === undefined) continue;
      const root = btf ? btf.typeName(r.typeId) : `type id ${r.typeId}`;
      throw new BpfError(
        `CO-RE relocation ${r.kindName} on '${root}' (access "${r.access}") at '${f.section}'+${hex(r.insnOff)} (insn ${slot}, in '${f.name}') cannot be satisfied: ${why} (at byte ${hex(r.at)})`,
        { offset: r.at },
      );
    }
  }
}

/** Why relocation `r` cannot be satisfied, or undefined when our context layout satisfies it. */
function unsatisfied(btf: Btf, r: CoreRelo): string | undefined {
  const root = btf.types[r.typeId] ? btf.resolve(r.typeId) : undefined;
  if (root && (root.kind === BtfKind.STRUCT || root.kind === BtfKind.UNION) && WIRE_FORMATS.has(root.name)) {
    return r.kind === TYPE_ID_TARGET ? `${r.kindName} asks for a kernel BTF type id, which this runtime has none of` : undefined;
  }
  const target = root && (root.kind === BtfKind.STRUCT) ? TARGETS.get(root.name) : undefined;
  if (!root || root.kind !== BtfKind.STRUCT || !target) {
    return "relocations are resolved only against the context structs this runtime defines (struct xdp_md, struct __sk_buff) and packet headers (struct ethhdr, iphdr, ...); there is no kernel BTF for other types here";
  }
  if (!SATISFIABLE.has(r.kind)) return `${r.kindName} relocations are not supported`;
  if (r.kind === TYPE_EXISTS) return undefined;
  if (r.kind === TYPE_SIZE) return root.size === target.size ? undefined : `struct ${root.name} is ${root.size} bytes in the object, ${target.size} here`;
  const access = r.access.split(":").map(Number);
  if (access.length < 2 || access.some((n) => !Number.isInteger(n) || n < 0) || access[0] !== 0) {
    return `access string "${r.access}" is not a field of the struct itself`;
  }
  // One member, then (for an array member such as __sk_buff.cb) one element.
  const member = root.members[access[1]!];
  if (!member) return `struct ${root.name} has no member #${access[1]} in the object's BTF`;
  if (member.bitfieldSize !== 0) return `member '${member.name}' is a bitfield`;
  let offset = member.bitOffset / 8;
  let size = btf.sizeOf(member.type);
  let name = member.name;
  if (access.length === 3) {
    const arr = btf.resolve(member.type);
    if (arr.kind !== BtfKind.ARRAY) return `member '${member.name}' is not an array`;
    size = btf.sizeOf(arr.elemType);
    offset += access[2]! * size;
    name = `${member.name}${access[2]}`;
  } else if (access.length > 3) {
    return `access string "${r.access}" goes deeper than a context field`;
  }
  const field = target.fields.find((x) => x.name === name);
  if (!field) return `struct ${root.name} here has no field '${name}'`;
  if (r.kind === FIELD_EXISTS) return undefined;
  if (field.offset !== offset) return `field '${name}' is at offset ${offset} in the object, ${field.offset} here`;
  if (field.size !== size) return `field '${name}' is ${size} bytes in the object, ${field.size} here`;
  return undefined;
}
