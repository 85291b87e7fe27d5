// Hex byte strings as the bpf_conformance runner writes them: each byte as two hex digits
// followed by two spaces ("b7  00  00  00  ..."). Any white space between bytes is accepted,
// and so is a run of digits without separators.

import { CliError } from "./args.js";

export function parseHexBytes(text: string, what: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  const bad = digits.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new CliError(`${what}: '${digits[bad]}' is not a hex digit (at hex digit ${bad + 1})`);
  if (digits.length % 2 !== 0) throw new CliError(`${what}: odd number of hex digits (${digits.length})`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function formatHexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
