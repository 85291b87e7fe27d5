/* L4 load balancer: IPv4 TCP/UDP packets to the virtual IP (VIP, port any) are spread over the
 * backends of the `backends` array by a hash of the 5-tuple, their destination IP and MAC are
 * rewritten, the IPv4 and L4 checksums are updated incrementally (RFC 1624), and the packet goes
 * back out with XDP_TX. Everything else passes. Exercises ARRAY maps, packet writes and
 * bpf_csum_diff. */
#include "common.h"

#define VIP 0x0a000001 /* 10.0.0.1 */
#define MAX_BACKENDS 16

struct backend {
	__be32 ip;
	__u8 mac[6];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

/* backend_count[0]: how many backends are configured (0 = pass everything). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} backend_count SEC(".maps");

static __always_inline __u16 csum_fold(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

static __always_inline __u32 hash_flow(__u32 a, __u32 b, __u32 ports, __u8 proto)
{
	__u32 h = a * 0x9e3779b1u;
	h ^= b + 0x7f4a7c15u + (h << 6) + (h >> 2);
	h ^= ports + 0x85ebca6bu + (h << 6) + (h >> 2);
	h ^= proto;
	return h;
}

SEC("xdp")
int l4_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 off = 0, zero = 0;

	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->daddr != bpf_htonl(VIP))
		return XDP_PASS;

	__u32 ports;
	__sum16 *l4_csum;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);
		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP;
		ports = ((__u32)tcp->source << 16) | tcp->dest;
		l4_csum = &tcp->check;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > data_end)
			return XDP_DROP;
		ports = ((__u32)udp->source << 16) | udp->dest;
		l4_csum = &udp->check;
	} else {
		return XDP_PASS;
	}

	__u32 *count = bpf_map_lookup_elem(&backend_count, &zero);
	if (!count || *count == 0 || *count > MAX_BACKENDS)
		return XDP_PASS;
	__u32 idx = hash_flow(ip->saddr, ip->daddr, ports, ip->protocol) % *count;
	struct backend *be = bpf_map_lookup_elem(&backends, &idx);
	if (!be)
		return XDP_ABORTED;

	/* Incremental checksum update for the changed destination address (RFC 1624). */
	__be32 old_daddr = ip->daddr, new_daddr = be->ip;
	__s64 diff = bpf_csum_diff(&old_daddr, 4, &new_daddr, 4, ~((__u32)ip->check) & 0xffff);
	if (diff < 0)
		return XDP_ABORTED;
	ip->check = csum_fold((__u32)diff);
	ip->daddr = new_daddr;
	/* UDP checksum 0 means "none": leave it so. TCP/UDP cover the pseudo-header's daddr. */
	if (ip->protocol == IPPROTO_TCP || *l4_csum != 0) {
		diff = bpf_csum_diff(&old_daddr, 4, &new_daddr, 4, ~((__u32)*l4_csum) & 0xffff);
		if (diff < 0)
			return XDP_ABORTED;
		*l4_csum = csum_fold((__u32)diff);
	}

	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
