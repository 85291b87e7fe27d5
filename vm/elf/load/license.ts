// The `license` section: a NUL-terminated string. The kernel lets only GPL-compatible programs
// call gpl_only helpers (bpf_trace_printk, perf_event_output, ...); the strings it accepts are
// those of include/linux/license.h license_is_gpl_compatible().

import { BpfError } from "../../errors.js";
import type { ElfObject } from "../object.js";
import { SHDR } from "../sections.js";

const GPL_COMPATIBLE: ReadonlySet<string> = new Set([
  "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL",
]);

export function licenseIsGplCompatible(license: string): boolean {
  return GPL_COMPATIBLE.has(license);
}

/** The license string ("" when the object has no license section). */
export function readLicense(elf: ElfObject): string {
  const s = elf.sectionsByName.get("license");
  if (!s || s.size === 0) return "";
  const end = s.data.indexOf(0);
  if (end < 0) throw new BpfError("section 'license' is not NUL-terminated", { offset: s.headerOffset + SHDR.SIZE });
  return new TextDecoder().decode(s.data.subarray(0, end));
}

/** The legacy `version` section (kern_version, u32), if present. */
export function readKernelVersion(elf: ElfObject): number | undefined {
  const s = elf.sectionsByName.get("version");
  if (!s) return undefined;
  if (s.size !== 4) throw new BpfError(`section 'version' is ${s.size} bytes, expected 4 (a u32)`, { offset: s.headerOffset + SHDR.SIZE });
  return new DataView(s.data.buffer, s.data.byteOffset, 4).getUint32(0, true);
}
