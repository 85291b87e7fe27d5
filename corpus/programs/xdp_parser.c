/* Map-free XDP parser: Ethernet (+802.1Q), IPv4 (with options) or IPv6, then TCP/UDP/ICMP.
 * Drops IPv4 fragments other than the first, TCP packets with SYN+FIN set, and UDP to port 0;
 * passes the rest. The reference "parser" workload: pure header parsing, no maps, no helpers. */
#include "common.h"

static __always_inline int check_l4(void *l4, void *data_end, __u8 proto)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP;
		if (tcp->syn && tcp->fin)
			return XDP_DROP;
		return XDP_PASS;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > data_end)
			return XDP_DROP;
		return udp->dest == 0 ? XDP_DROP : XDP_PASS;
	}
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		struct icmphdr *icmp = l4;
		if ((void *)(icmp + 1) > data_end)
			return XDP_DROP;
		return XDP_PASS;
	}
	return XDP_PASS;
}

SEC("xdp")
int xdp_parser(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;
	__be16 proto = parse_eth(data, data_end, &off);

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return XDP_DROP;
		/* Not the first fragment: no L4 header to look at. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return XDP_DROP;
		return check_l4((void *)ip + ip->ihl * 4, data_end, ip->protocol);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		if ((void *)(ip6 + 1) > data_end)
			return XDP_DROP;
		return check_l4(ip6 + 1, data_end, ip6->nexthdr);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
