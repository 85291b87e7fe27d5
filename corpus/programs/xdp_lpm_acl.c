/* Prefix ACL with a learning twist: every IPv4 source's /24 is inserted into an LPM_TRIE
 * (value = first-seen protocol), /16 of TCP sources too; destinations are looked up (longest
 * match wins) and counted in an LRU_PERCPU_HASH keyed by the matched prefix length and value.
 * A dest matching a prefix learned from UDP is dropped. */
#include "common.h"

struct lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct lpm_v4);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} prefixes SEC(".maps");

struct hit_key {
	__u32 plen;
	__u32 val;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 512);
	__type(key, struct hit_key);
	__type(value, __u64);
} hits SEC(".maps");

__u32 lookups, matched, learned, full;

SEC("xdp")
int xdp_lpm_acl(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;
	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;

	struct lpm_v4 k = { .prefixlen = 24 };
	__builtin_memcpy(k.addr, &ip->saddr, 4);
	k.addr[3] = 0;
	__u32 v = ip->protocol;
	long err = bpf_map_update_elem(&prefixes, &k, &v, BPF_NOEXIST);
	if (err == 0)
		learned++;
	else if (err != -17)
		full++;
	if (ip->protocol == IPPROTO_TCP) {
		k.prefixlen = 16;
		k.addr[2] = 0;
		v = 0x100 | ip->tos;
		bpf_map_update_elem(&prefixes, &k, &v, BPF_ANY);
	}

	struct lpm_v4 q = { .prefixlen = 32 };
	__builtin_memcpy(q.addr, &ip->daddr, 4);
	lookups++;
	__u32 *m = bpf_map_lookup_elem(&prefixes, &q);
	if (!m)
		return XDP_PASS;
	matched++;
	/* Find the matched length by probing shorter prefixes. */
	struct hit_key hk = { .plen = 0, .val = *m };
	for (__u32 plen = 32; plen >= 8; plen -= 8) {
		q.prefixlen = plen;
		__u32 *mm = bpf_map_lookup_elem(&prefixes, &q);
		if (!mm || *mm != *m)
			break;
		hk.plen = plen;
	}
	__u64 *c = bpf_map_lookup_elem(&hits, &hk);
	if (c) {
		*c += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&hits, &hk, &one, BPF_ANY);
	}
	return *m == IPPROTO_UDP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
