/* QinQ / VLAN + IPv6 extension header walker (xdp-tutorial style).
 * Up to two VLAN tags (0x88a8 outer, 0x8100 inner), then IPv4 or IPv6; for IPv6 the
 * extension header chain (hop-by-hop, routing, dest opts, fragment, AH) is walked in a bounded
 * loop. Counts per (outer vid, inner vid, l4 proto) in a PERCPU_HASH; .bss counts totals. */
#include "common.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define VLAN_MAX_DEPTH 2
#define IPV6_EXT_MAX 6

struct flow_key {
	__u16 vid[VLAN_MAX_DEPTH];
	__u8 l3; /* 4, 6, 0 */
	__u8 l4;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, struct flow_key);
	__type(value, __u64);
} vlan_l4 SEC(".maps");

__u64 total_pkts = 0;
__u64 ext_hdrs_seen = 0;
__u64 too_deep = 0;

struct hdr_cursor {
	void *pos;
};

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD);
}

static __always_inline int parse_ethhdr_vlan(struct hdr_cursor *nh, void *data_end, struct flow_key *k)
{
	struct ethhdr *eth = nh->pos;
	if ((void *)(eth + 1) > data_end)
		return -1;
	nh->pos = eth + 1;
	__u16 h_proto = eth->h_proto;
	struct vlan_hdr *vlh = nh->pos;
#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (!proto_is_vlan(h_proto))
			break;
		if ((void *)(vlh + 1) > data_end)
			return -1;
		h_proto = vlh->encapsulated_proto;
		k->vid[i] = bpf_ntohs(vlh->tci) & 0x0fff;
		vlh++;
	}
	nh->pos = vlh;
	return h_proto;
}

static __always_inline int skip_ip6hdrext(struct hdr_cursor *nh, void *data_end, __u8 next_hdr)
{
	for (int i = 0; i < IPV6_EXT_MAX; ++i) {
		struct ipv6_opt_hdr *hdr = nh->pos;
		if ((void *)(hdr + 1) > data_end)
			return -1;
		switch (next_hdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_DSTOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_MH:
			nh->pos = (char *)hdr + (hdr->hdrlen + 1) * 8;
			next_hdr = hdr->nexthdr;
			break;
		case IPPROTO_AH:
			nh->pos = (char *)hdr + (hdr->hdrlen + 2) * 4;
			next_hdr = hdr->nexthdr;
			break;
		case IPPROTO_FRAGMENT:
			nh->pos = (char *)hdr + 8;
			next_hdr = hdr->nexthdr;
			break;
		default:
			return next_hdr;
		}
		__sync_fetch_and_add(&ext_hdrs_seen, 1);
	}
	__sync_fetch_and_add(&too_deep, 1);
	return -1;
}

SEC("xdp")
int xdp_qinq_v6ext(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = { .pos = data };
	struct flow_key key = {};
	int proto, l4 = 255;

	__sync_fetch_and_add(&total_pkts, 1);
	proto = parse_ethhdr_vlan(&nh, data_end, &key);
	if (proto < 0)
		return XDP_DROP;
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = nh.pos;
		if ((void *)(ip6 + 1) > data_end)
			return XDP_DROP;
		nh.pos = ip6 + 1;
		key.l3 = 6;
		l4 = skip_ip6hdrext(&nh, data_end, ip6->nexthdr);
	} else if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = nh.pos;
		if ((void *)(ip + 1) > data_end)
			return XDP_DROP;
		key.l3 = 4;
		l4 = ip->protocol;
	}
	key.l4 = l4 < 0 ? 254 : l4;
	__u64 *cnt = bpf_map_lookup_elem(&vlan_l4, &key);
	if (cnt) {
		*cnt += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&vlan_l4, &key, &one, BPF_NOEXIST);
	}
	if (l4 < 0)
		return XDP_ABORTED;
	return key.vid[0] ? XDP_TX : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
