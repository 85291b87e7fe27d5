/* katran-like L4 load balancer: VIP lookup in a HASH map ({addr, port, proto}), a consistent
 * hashing ring (ARRAY, RING_SIZE slots per VIP) picks a real, an LRU connection table keeps
 * flows on their real, per-CPU stats; the packet is encapsulated IP-in-IP (IPv4, adjust_head
 * -20), IPv6-in-IPv6 (-40) or GUE (outer IPv4 + UDP + 4-byte GUE header) and sent back with
 * XDP_TX. The outer IPv4 checksum is computed over the header in a loop. */
#include "common.h"

#define RING_SIZE 61
#define MAX_VIPS 16
#define MAX_REALS 64
#define F_GUE 1
#define F_HASH_NO_SRC_PORT 2
#define GUE_PORT 6080

struct vip_definition { __be32 vip; __be16 port; __u8 proto; __u8 pad; };
struct vip_meta { __u32 flags; __u32 vip_num; };
struct real_definition { union { __be32 dst; __be32 dstv6[4]; }; __u8 flags; __u8 pad[3]; };
struct flow_key { union { __be32 src; __be32 srcv6[4]; }; union { __be32 dst; __be32 dstv6[4]; }; __u16 port16[2]; __u8 proto; __u8 pad[3]; };
struct real_pos_lru { __u32 pos; __u32 pad; };
struct lb_stats { __u64 v1; __u64 v2; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, MAX_VIPS); __type(key, struct vip_definition); __type(value, struct vip_meta); } vip_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, RING_SIZE * MAX_VIPS); __type(key, __u32); __type(value, __u32); } ch_rings SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, MAX_REALS); __type(key, __u32); __type(value, struct real_definition); } reals SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 1000); __type(key, struct flow_key); __type(value, struct real_pos_lru); } lru_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, MAX_VIPS + 4); __type(key, __u32); __type(value, struct lb_stats); } stats SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct { __u8 src_mac[6]; __u8 dst_mac[6]; }); } ctl_array SEC(".maps");

/* Bob Jenkins' lookup3, as katran's jhash.h (written again here). */
#define rol32(w, s) (((w) << (s)) | ((w) >> (32 - (s))))
#define __jhash_final(a, b, c) { c ^= b; c -= rol32(b, 14); a ^= c; a -= rol32(c, 11); b ^= a; b -= rol32(a, 25); c ^= b; c -= rol32(b, 16); a ^= c; a -= rol32(c, 4); b ^= a; b -= rol32(a, 14); c ^= b; c -= rol32(b, 24); }
#define JHASH_INITVAL 0xdeadbeef
static __always_inline __u32 jhash_3words(__u32 a, __u32 b, __u32 c, __u32 initval)
{
	a += JHASH_INITVAL + initval; b += JHASH_INITVAL + initval; c += JHASH_INITVAL + initval;
	__jhash_final(a, b, c);
	return c;
}
static __always_inline __u32 jhash_2words(__u32 a, __u32 b, __u32 initval) { return jhash_3words(a, b, 0, initval); }

static __always_inline __u32 get_packet_hash(struct flow_key *flow, int v6)
{
	if (v6) {
		__u32 s = flow->srcv6[0] ^ flow->srcv6[1] ^ flow->srcv6[2] ^ flow->srcv6[3];
		return jhash_2words(s, ((__u32)flow->port16[0] << 16) | flow->port16[1], MAX_REALS);
	}
	return jhash_2words(flow->src, ((__u32)flow->port16[0] << 16) | flow->port16[1], MAX_REALS);
}

static __always_inline void stat_inc(__u32 idx, __u64 bytes)
{
	struct lb_stats *s = bpf_map_lookup_elem(&stats, &idx);
	if (s) { s->v1 += 1; s->v2 += bytes; }
}

static __always_inline __u16 csum_fold_helper(__u64 csum)
{
	int i;
#pragma unroll
	for (i = 0; i < 4; i++) {
		if (csum >> 16)
			csum = (csum & 0xffff) + (csum >> 16);
	}
	return ~csum;
}

static __always_inline void ipv4_csum_inline(void *iph, __u64 *csum)
{
	__u16 *next_iph_u16 = (__u16 *)iph;
#pragma clang loop unroll(full)
	for (int i = 0; i < sizeof(struct iphdr) >> 1; i++)
		*csum += *next_iph_u16++;
	*csum = csum_fold_helper(*csum);
}

static __always_inline int encap_v4(struct xdp_md *xdp, struct real_definition *dst, __be32 src_hint, __u16 pkt_bytes, int gue, __u16 sport)
{
	int hdr = sizeof(struct iphdr) + (gue ? sizeof(struct udphdr) + 4 : 0);
	__u32 zero = 0;
	if (bpf_xdp_adjust_head(xdp, 0 - hdr))
		return 0;
	void *data = (void *)(long)xdp->data;
	void *data_end = (void *)(long)xdp->data_end;
	struct ethhdr *new_eth = data;
	struct ethhdr *old_eth = data + hdr;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	if ((void *)(new_eth + 1) > data_end || (void *)(old_eth + 1) > data_end || (void *)(iph + 1) > data_end)
		return 0;
	void *ctl = bpf_map_lookup_elem(&ctl_array, &zero);
	if (!ctl)
		return 0;
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, 6);
	__builtin_memcpy(new_eth->h_dest, ctl, 6);
	new_eth->h_proto = bpf_htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = 5;
	iph->frag_off = 0;
	iph->protocol = gue ? IPPROTO_UDP : IPPROTO_IPIP;
	iph->check = 0;
	iph->tos = 0;
	iph->tot_len = bpf_htons(pkt_bytes + hdr);
	iph->id = 0;
	iph->daddr = dst->dst;
	iph->saddr = 0x0100000a ^ (src_hint & 0xffff0000); /* 10.0.0.1-ish per source /16 */
	iph->ttl = 64;
	if (gue) {
		struct udphdr *udph = (void *)(iph + 1);
		__u32 *gueh = (void *)(udph + 1);
		if ((void *)(gueh + 1) > data_end)
			return 0;
		udph->source = bpf_htons(sport | 0x8000);
		udph->dest = bpf_htons(GUE_PORT);
		udph->len = bpf_htons(pkt_bytes + sizeof(struct udphdr) + 4);
		udph->check = 0;
		*gueh = 0;
	}
	__u64 csum = 0;
	ipv4_csum_inline(iph, &csum);
	iph->check = csum;
	return 1;
}

static __always_inline int encap_v6(struct xdp_md *xdp, struct real_definition *dst, __u32 src_hint, __u16 payload_len)
{
	if (bpf_xdp_adjust_head(xdp, 0 - (int)sizeof(struct ipv6hdr)))
		return 0;
	void *data = (void *)(long)xdp->data;
	void *data_end = (void *)(long)xdp->data_end;
	struct ethhdr *new_eth = data;
	struct ethhdr *old_eth = data + sizeof(struct ipv6hdr);
	struct ipv6hdr *ip6h = data + sizeof(struct ethhdr);
	if ((void *)(new_eth + 1) > data_end || (void *)(old_eth + 1) > data_end || (void *)(ip6h + 1) > data_end)
		return 0;
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, 6);
	__builtin_memcpy(new_eth->h_dest, old_eth->h_source, 6);
	new_eth->h_proto = bpf_htons(ETH_P_IPV6);
	ip6h->version = 6;
	ip6h->priority = 0;
	__builtin_memset(ip6h->flow_lbl, 0, sizeof(ip6h->flow_lbl));
	ip6h->nexthdr = IPPROTO_IPV6;
	ip6h->payload_len = bpf_htons(payload_len + sizeof(struct ipv6hdr));
	ip6h->hop_limit = 64;
	ip6h->saddr.in6_u.u6_addr32[0] = bpf_htonl(0xfc000000);
	ip6h->saddr.in6_u.u6_addr32[1] = 0;
	ip6h->saddr.in6_u.u6_addr32[2] = 0;
	ip6h->saddr.in6_u.u6_addr32[3] = src_hint;
	__builtin_memcpy(ip6h->daddr.in6_u.u6_addr32, dst->dstv6, 16);
	return 1;
}

SEC("xdp")
int balancer_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct flow_key flow = {};
	struct vip_definition vip = {};
	__u16 pkt_bytes;
	int v6 = 0;
	__u32 off = sizeof(struct ethhdr);

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = data + off;
		if ((void *)(iph + 1) > data_end)
			return XDP_DROP;
		if (iph->ihl != 5)
			return XDP_DROP; /* katran drops packets with IP options */
		if (iph->frag_off & bpf_htons(0x3fff))
			return XDP_DROP;
		flow.proto = iph->protocol;
		flow.src = iph->saddr;
		flow.dst = iph->daddr;
		pkt_bytes = bpf_ntohs(iph->tot_len);
		off += sizeof(*iph);
		vip.vip = iph->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = data + off;
		if ((void *)(ip6h + 1) > data_end)
			return XDP_DROP;
		flow.proto = ip6h->nexthdr;
		__builtin_memcpy(flow.srcv6, ip6h->saddr.in6_u.u6_addr32, 16);
		__builtin_memcpy(flow.dstv6, ip6h->daddr.in6_u.u6_addr32, 16);
		pkt_bytes = bpf_ntohs(ip6h->payload_len);
		off += sizeof(*ip6h);
		vip.vip = ip6h->daddr.in6_u.u6_addr32[3];
		v6 = 1;
	} else {
		return XDP_PASS;
	}
	if (flow.proto == IPPROTO_TCP || flow.proto == IPPROTO_UDP) {
		__u16 *ports = data + off;
		if ((void *)(ports + 2) > data_end)
			return XDP_DROP;
		flow.port16[0] = ports[0];
		flow.port16[1] = ports[1];
	} else if (flow.proto != IPPROTO_ICMP && flow.proto != IPPROTO_ICMPV6) {
		return XDP_PASS;
	}
	vip.port = flow.port16[1];
	vip.proto = flow.proto;
	struct vip_meta *vip_info = bpf_map_lookup_elem(&vip_map, &vip);
	if (!vip_info) {
		vip.port = 0;
		vip_info = bpf_map_lookup_elem(&vip_map, &vip);
		if (!vip_info) {
			stat_inc(MAX_VIPS, data_end - data);
			return XDP_PASS;
		}
	}
	if (vip_info->flags & F_HASH_NO_SRC_PORT)
		flow.port16[0] = 0;
	__u32 vip_num = vip_info->vip_num;
	if (vip_num >= MAX_VIPS)
		return XDP_DROP;
	stat_inc(vip_num, data_end - data);

	struct real_pos_lru *cached = bpf_map_lookup_elem(&lru_map, &flow);
	__u32 real_idx;
	if (cached) {
		real_idx = cached->pos;
		stat_inc(MAX_VIPS + 1, 1);
	} else {
		__u32 hash = get_packet_hash(&flow, v6) % RING_SIZE;
		__u32 key = RING_SIZE * vip_num + hash;
		__u32 *pos = bpf_map_lookup_elem(&ch_rings, &key);
		if (!pos)
			return XDP_DROP;
		real_idx = *pos;
		struct real_pos_lru nv = { .pos = real_idx };
		if (flow.proto != IPPROTO_UDP)
			bpf_map_update_elem(&lru_map, &flow, &nv, BPF_ANY);
		stat_inc(MAX_VIPS + 2, 1);
	}
	struct real_definition *dst = bpf_map_lookup_elem(&reals, &real_idx);
	if (!dst)
		return XDP_DROP;
	if (v6) {
		if (!encap_v6(ctx, dst, flow.srcv6[3], pkt_bytes))
			return XDP_DROP;
	} else {
		if (!encap_v4(ctx, dst, flow.src, pkt_bytes, vip_info->flags & F_GUE, bpf_ntohs(flow.port16[0])))
			return XDP_DROP;
	}
	stat_inc(MAX_VIPS + 3, pkt_bytes);
	return XDP_TX;
}

char _license[] SEC("license") = "Dual MIT/GPL";
