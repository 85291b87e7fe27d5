/* IPv6 parser with bpf_loop (kernel 5.17+): a callback per extension header (hop-by-hop,
 * routing, destination options, fragment) walks the chain to the upper-layer protocol, at most
 * MAX_EXT_HDRS headers; a second callback sums the first 16 bytes of a UDP payload, 2 bytes per
 * iteration. Counts packets per final next-header value and sums payload bytes in ARRAYs; drops
 * IPv6 packets that are truncated, whose chain is too long, or whose payload is not TCP, UDP or
 * ICMPv6. Non-IPv6 passes. The walk's state lives in the caller's stack (callback_ctx). */
#include "common.h"

#define MAX_EXT_HDRS 8
#define SUM_WORDS 8
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_DEST 60

enum { WALKING, FOUND, TRUNCATED };

struct ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct walk {
	void *data;
	void *data_end;
	__u32 off; /* the next header, from data */
	__u8 nexthdr;
	__u8 state;
};

struct sum {
	void *data;
	void *data_end;
	__u32 off;
	__u32 total;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} l4_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} udp_bytes SEC(".maps");

static long next_header(__u32 index, void *arg)
{
	struct walk *w = arg;
	__u8 nh = w->nexthdr;

	if (nh != NEXTHDR_HOP && nh != NEXTHDR_ROUTING && nh != NEXTHDR_FRAGMENT && nh != NEXTHDR_DEST) {
		w->state = FOUND;
		return 1;
	}
	__u32 off = w->off;
	if (off > 2048) {
		w->state = TRUNCATED;
		return 1;
	}
	struct ext_hdr *eh = w->data + off;
	if ((void *)(eh + 1) > w->data_end) {
		w->state = TRUNCATED;
		return 1;
	}
	/* The fragment header is always 8 bytes; the others say their length in 8-byte units not
	 * counting the first 8 (RFC 8200 §4). */
	w->off = off + (nh == NEXTHDR_FRAGMENT ? 8 : (eh->hdrlen + 1) * 8);
	w->nexthdr = eh->nexthdr;
	return 0;
}

static long add_word(__u32 index, void *arg)
{
	struct sum *s = arg;
	__u32 off = s->off + index * 2;

	if (off > 2048)
		return 1;
	__u8 *p = s->data + off;
	if ((void *)(p + 2) > s->data_end)
		return 1;
	s->total += p[0] + p[1];
	return 0;
}

SEC("xdp")
int loop_parser(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;

	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	struct ipv6hdr *ip6 = data + off;
	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;

	struct walk w = { .data = data, .data_end = data_end, .off = off + sizeof(*ip6), .nexthdr = ip6->nexthdr };
	bpf_loop(MAX_EXT_HDRS, next_header, &w, 0);
	if (w.state != FOUND)
		return XDP_DROP;

	__u32 key = w.nexthdr;
	__u64 *count = bpf_map_lookup_elem(&l4_count, &key);
	if (count)
		__sync_fetch_and_add(count, 1);

	if (w.nexthdr == IPPROTO_UDP) {
		struct sum s = { .data = data, .data_end = data_end, .off = w.off + sizeof(struct udphdr) };
		bpf_loop(SUM_WORDS, add_word, &s, 0);
		key = 0;
		__u64 *bytes = bpf_map_lookup_elem(&udp_bytes, &key);
		if (bytes)
			__sync_fetch_and_add(bytes, s.total);
	}
	if (w.nexthdr == IPPROTO_TCP || w.nexthdr == IPPROTO_UDP || w.nexthdr == IPPROTO_ICMPV6)
		return XDP_PASS;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
