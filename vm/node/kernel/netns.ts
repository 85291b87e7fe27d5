// The kernel side of a network model (vm/net/model.ts): shell commands that build the same
// devices, addresses, routes, neighbours and forwarding sysctls in a fresh network namespace,
// and a wrapper that starts the bpf-runner inside it (KernelBridge's `wrapper`), so that
// BPF_PROG_TEST_RUN's bpf_fib_lookup sees the network our machine is given. The namespace is
// made by `unshare --net` and dies with the runner: the host's own network is never touched.
//
// Each model device becomes one end of a veth pair (index and MAC as given); the peer
// ("<name>p", ifindex + 1000, no addresses) only gives it a link that is up. The loopback device
// (ifindex 1) is the namespace's own, left down, with no addresses.
//
// The model's sockets (vm/net/sockets.ts) are made by a small python3 script, in the model's
// order: listeners bound and listening, UDP sockets bound (and connected), established TCP
// connections through TCP_REPAIR (bind + connect in repair mode puts a socket in the
// established table without a handshake, so the peer need not exist: only a route to it). A
// child process keeps them open; the namespace then also gets its own PID namespace
// (`unshare --pid --kill-child`), so that the holder dies with the runner and every socket is
// closed.

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
  if ((model.sockets ?? []).length > 0) lines.push(socketScript(model, names));
  return lines.join("\n");
}

/** The python3 command that creates the model's sockets and leaves a child holding them. */
function socketScript(model: NetworkModel, names: ReadonlyMap<number, string>): string {
  const specs = (model.sockets ?? []).map((s) => {
    const local = hostPort(s.local);
    const remote = s.remote === undefined ? undefined : hostPort(s.remote);
    return {
      k: s.kind, f: local.host.includes(":") ? 6 : 4, la: local.host, lp: local.port, ra: remote?.host ?? "", rp: remote?.port ?? 0,
      v6only: s.v6only ? 1 : 0, dev: s.boundDev ? (names.get(s.boundDev) ?? "") : "", mark: s.mark ?? 0, prio: s.priority ?? 0,
    };
  });
  return `python3 -c '${SOCKET_HOLDER}' '${JSON.stringify(specs)}'`;
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text)!;
  return { host: m[1]!, port: Number(m[2]) };
}

// No single quotes inside: it goes in a single-quoted shell word. TCP_REPAIR is 19.
const SOCKET_HOLDER = [
  "import json, os, socket, sys, time",
  "held = []",
  "for s in json.loads(sys.argv[1]):",
  "  fam = socket.AF_INET6 if s[\"f\"] == 6 else socket.AF_INET",
  "  x = socket.socket(fam, socket.SOCK_DGRAM if s[\"k\"] == \"udp\" else socket.SOCK_STREAM)",
  "  x.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
  "  if fam == socket.AF_INET6: x.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, s[\"v6only\"])",
  "  if s[\"dev\"]: x.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, s[\"dev\"].encode())",
  "  if s[\"mark\"]: x.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, s[\"mark\"])",
  "  if s[\"prio\"]: x.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, s[\"prio\"])",
  "  if s[\"k\"] == \"tcp_established\": x.setsockopt(socket.IPPROTO_TCP, 19, 1)",
  "  x.bind((s[\"la\"], s[\"lp\"]))",
  "  if s[\"k\"] == \"tcp_listen\": x.listen(16)",
  "  elif s[\"ra\"]: x.connect((s[\"ra\"], s[\"rp\"]))",
  "  held.append(x)",
  "if os.fork() == 0:",
  "  null = os.open(os.devnull, os.O_RDWR)",
  "  for fd in (0, 1, 2): os.dup2(null, fd)",
  "  while True: time.sleep(3600)",
  "os._exit(0)",
].join("\n");

/** The unshare command: a new network namespace, and a PID namespace when a socket holder must die with it. */
const unshare = (model: NetworkModel): string[] => ((model.sockets ?? []).length > 0 ? ["unshare", "--net", "--pid", "--kill-child"] : ["unshare", "--net"]);

/** A RunnerChannel / KernelBridge wrapper: a new network namespace built as `model`, then the runner. */
export function netnsWrapper(model: NetworkModel): string[] {
  return [...unshare(model), "sh", "-c", `${netnsScript(model)}\nexec "$0" "$@"`];
}

/** Can this process build `model` in a new namespace (unshare, veth, root)? The reason when not. */
export function netnsAvailable(model: NetworkModel): { ok: boolean; reason: string } {
  if (process.platform !== "linux") return { ok: false, reason: `network namespaces are Linux-only, this is ${process.platform}` };
  try {
    const [command, ...args] = [...unshare(model), "sh", "-c", netnsScript(model)];
    execFileSync(command!, args, { stdio: ["ignore", "ignore", "pipe"], timeout: 20_000 });
    return { ok: true, reason: "" };
  } catch (err) {
    const stderr = (err as { stderr?: Uint8Array }).stderr;
    const why = stderr && stderr.length > 0 ? new TextDecoder().decode(stderr).trim().split("\n").slice(-1)[0] : (err as Error).message;
    return { ok: false, reason: `cannot build the test network in a new namespace (unshare --net, veth): ${why}` };
  }
}
