/* SYN-flood limiter: counts TCP SYNs (without ACK) per IPv4 source in an LRU_HASH and drops a
 * source's SYNs once it has sent more than SYN_LIMIT of them. Other packets pass. Count-based
 * (no clock), so its verdicts are deterministic and comparable with the kernel's run for run. */
#include "common.h"

#define SYN_LIMIT 8

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __be32);
	__type(value, __u64);
} syn_count SEC(".maps");

SEC("xdp")
int syn_limiter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;

	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	struct tcphdr *tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS;
	if (!tcp->syn || tcp->ack)
		return XDP_PASS;

	__be32 src = ip->saddr;
	__u64 *count = bpf_map_lookup_elem(&syn_count, &src);
	if (!count) {
		__u64 one = 1;
		bpf_map_update_elem(&syn_count, &src, &one, BPF_NOEXIST);
		return XDP_PASS;
	}
	__u64 seen = __sync_fetch_and_add(count, 1) + 1;
	return seen > SYN_LIMIT ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
