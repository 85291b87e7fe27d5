/* IPv6 parser: walks up to MAX_EXT_HDRS extension headers (hop-by-hop, routing, destination
 * options, fragment) in a bounded loop to the upper-layer protocol, counts packets per final
 * next-header value in an ARRAY, and drops IPv6 packets whose payload is not TCP, UDP or
 * ICMPv6 (or whose header chain is longer than the loop allows). Non-IPv6 passes. */
#include "common.h"

#define MAX_EXT_HDRS 6
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_DEST 60

struct ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} l4_count SEC(".maps");

SEC("xdp")
int ipv6_parser(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;

	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	struct ipv6hdr *ip6 = data + off;
	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;

	__u8 nexthdr = ip6->nexthdr;
	void *cursor = ip6 + 1;
	int i;
	for (i = 0; i < MAX_EXT_HDRS; i++) {
		if (nexthdr != NEXTHDR_HOP && nexthdr != NEXTHDR_ROUTING &&
		    nexthdr != NEXTHDR_FRAGMENT && nexthdr != NEXTHDR_DEST)
			break;
		struct ext_hdr *eh = cursor;
		if ((void *)(eh + 1) > data_end)
			return XDP_DROP;
		/* The fragment header is always 8 bytes; the others say their length in 8-byte units
		 * not counting the first 8 (RFC 8200 §4). */
		cursor += nexthdr == NEXTHDR_FRAGMENT ? 8 : (eh->hdrlen + 1) * 8;
		nexthdr = eh->nexthdr;
	}
	if (i == MAX_EXT_HDRS)
		return XDP_DROP;

	__u32 key = nexthdr;
	__u64 *count = bpf_map_lookup_elem(&l4_count, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	if (nexthdr == IPPROTO_TCP || nexthdr == IPPROTO_UDP || nexthdr == IPPROTO_ICMPV6)
		return XDP_PASS;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
