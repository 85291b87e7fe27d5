/* 5-tuple XDP firewall: IPv4 TCP/UDP packets pass only when {saddr, daddr, dport} is in the
 * `allow` hash map; every other IPv4 TCP/UDP packet is dropped. Non-IPv4 traffic (ARP, IPv6)
 * passes untouched, and IPv4 that is neither TCP nor UDP is dropped. One HASH lookup per packet:
 * the reference "firewall" workload of the benchmarks. */
#include "common.h"

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 dport;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, __u32);
} allow SEC(".maps");

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;

	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;

	struct flow_key key = { .saddr = ip->saddr, .daddr = ip->daddr };
	void *l4 = (void *)ip + ip->ihl * 4;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP;
		key.dport = tcp->dest;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > data_end)
			return XDP_DROP;
		key.dport = udp->dest;
	} else {
		return XDP_DROP;
	}

	__u32 *allowed = bpf_map_lookup_elem(&allow, &key);
	return allowed && *allowed ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
