/* Per-protocol packet counter: a PERCPU_ARRAY indexed by the IPv4 protocol / IPv6 next header
 * (0..255); slot 256 counts frames that are not IP (or too short to tell). Summed over CPUs,
 * the counters are exactly the corpus' per-protocol packet counts. Always XDP_PASS. */
#include "common.h"

#define NOT_IP 256

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 257);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

SEC("xdp")
int proto_counter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0, key = NOT_IP;
	__be16 proto = parse_eth(data, data_end, &off);

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		if ((void *)(ip + 1) <= data_end)
			key = ip->protocol;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		if ((void *)(ip6 + 1) <= data_end)
			key = ip6->nexthdr;
	}

	__u64 *count = bpf_map_lookup_elem(&proto_count, &key);
	if (count)
		*count += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
