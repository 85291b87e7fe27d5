// The kernel side of a network model (vm/net/model.ts): shell commands that build the same
// devices, addresses, routes, neighbours and forwarding sysctls in a fresh network namespace,
// and a wrapper that starts the bpf-runner inside it (KernelBridge's `wrapper`), so that
// BPF_PROG_TEST_RUN's bpf_fib_lookup sees the network our machine is given. The namespace is
// made by `unshare --net` and dies with the runner: the host's own network is never touched.
//
// Each model device becomes one end of a veth pair (index and MAC as given); the peer
// ("<name>p", ifindex + 1000, no addresses) only gives it a link that is up. The loopback device
// (ifindex 1) is the namespace's own, left down, with no addresses.

import { execFileSync } from "node:child_process";
import { BpfError } from "../../errors.js";
import { parseIp, parsePrefix } from "../../net/addr.js";
import { macText, Network, type NetworkModel } from "../../net/model.js";

const PEER_OFFSET = 1000;

const nameOf = (d: { ifindex: number; name?: string }): string => d.name ?? `if${d.ifindex}`;

/** The commands that build `model` in the current (fresh) network namespace. */
export function netnsScript(model: NetworkModel): string {
  const net = new Network(model); // checks the model, and gives each device's MAC and MTU
  const lines = ["set -e"];
  const names = new Map<number, string>();
  for (const d of model.devices) {
    const name = nameOf(d);
    names.set(d.ifindex, name);
    if (d.ifindex === 1) {
      if ((d.addresses ?? []).length > 0) throw new BpfError(`netns: addresses on the loopback device are not built (it stays down)`);
      continue;
    }
    const dev = net.device(d.ifindex)!;
    lines.push(`ip link add ${name} index ${d.ifindex} address ${macText(dev.mac)} mtu ${dev.mtu} type veth peer name ${name}p index ${d.ifindex + PEER_OFFSET}`);
    lines.push(`sysctl -qw net.ipv6.conf.${name}.accept_dad=0`);
    lines.push(`ip link set ${name} up`, `ip link set ${name}p up`);
  }
  for (const d of model.devices) {
    const name = names.get(d.ifindex)!;
    const v4 = d.forwarding ? 1 : 0;
    const v6 = (d.forwarding6 ?? d.forwarding) ? 1 : 0;
    lines.push(`sysctl -qw net.ipv4.conf.${name}.forwarding=${v4}`);
    // The loopback device of a fresh namespace has IPv6 only once it is up; its IPv6 sysctl is there anyway.
    lines.push(`sysctl -qw net.ipv6.conf.${name}.forwarding=${v6}`);
    for (const a of d.addresses ?? []) {
      const family = parsePrefix(a, `netns device ${name}`).family;
      lines.push(family === 4 ? `ip addr add ${a} dev ${name}` : `ip -6 addr add ${a} dev ${name} nodad`);
    }
  }
  for (const r of model.routes ?? []) {
    const family = parsePrefix(r.dst, "netns route").family;
    const parts = [`ip -${family} route add`];
    if (r.type && r.type !== "unicast") parts.push(r.type);
    parts.push(r.dst);
    if (r.via) parts.push(`via ${r.via}`);
    if (r.dev !== undefined) parts.push(`dev ${names.get(r.dev) ?? `if${r.dev}`}`);
    if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
    if (r.table !== undefined) parts.push(`table ${r.table}`);
    if (r.src) parts.push(`src ${r.src}`);
    lines.push(parts.join(" "));
  }
  for (const n of model.neighbours ?? []) {
    const family = parseIp(n.ip, "netns neighbour").family;
    lines.push(`ip -${family} neigh add ${n.ip} lladdr ${n.mac} dev ${names.get(n.ifindex) ?? `if${n.ifindex}`}`);
  }
  return lines.join("\n");
}

/** A RunnerChannel / KernelBridge wrapper: a new network namespace built as `model`, then the runner. */
export function netnsWrapper(model: NetworkModel): string[] {
  return ["unshare", "--net", "sh", "-c", `${netnsScript(model)}\nexec "$0" "$@"`];
}

/** Can this process build `model` in a new namespace (unshare, veth, root)? The reason when not. */
export function netnsAvailable(model: NetworkModel): { ok: boolean; reason: string } {
  if (process.platform !== "linux") return { ok: false, reason: `network namespaces are Linux-only, this is ${process.platform}` };
  try {
    execFileSync("unshare", ["--net", "sh", "-c", netnsScript(model)], { stdio: ["ignore", "ignore", "pipe"], timeout: 20_000 });
    return { ok: true, reason: "" };
  } catch (err) {
    const stderr = (err as { stderr?: Uint8Array }).stderr;
    const why = stderr && stderr.length > 0 ? new TextDecoder().decode(stderr).trim().split("\n").slice(-1)[0] : (err as Error).message;
    return { ok: false, reason: `cannot build the test network in a new namespace (unshare --net, veth): ${why}` };
  }
}
