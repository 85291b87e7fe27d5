/* bpf-to-bpf calls and a bounded loop: a non-inlined subprogram computes the IPv4 header
 * checksum by summing the header's 16-bit words in a bounded loop (RFC 1071); another counts
 * the verdicts in an ARRAY. Packets whose IPv4 header checksum is wrong are dropped; the rest
 * (and non-IPv4 traffic) pass. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

/* Sum of the header's words, folded: 0 for a correct header (the checksum field included). */
static __noinline __u16 ipv4_csum(struct iphdr *ip, void *data_end)
{
	__u16 *word = (__u16 *)ip;
	__u32 words = ip->ihl * 2, sum = 0;
	for (int i = 0; i < 30; i++) { /* ihl ≤ 15: at most 30 words */
		if (i >= words)
			break;
		if ((void *)(word + i + 1) > data_end)
			return 0xffff;
		sum += word[i];
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __noinline int count_verdict(int verdict)
{
	__u32 key = verdict == XDP_PASS;
	__u64 *count = bpf_map_lookup_elem(&verdicts, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	return verdict;
}

SEC("xdp")
int calls_loop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;

	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IP))
		return count_verdict(XDP_PASS);
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return count_verdict(XDP_DROP);
	return count_verdict(ipv4_csum(ip, data_end) == 0 ? XDP_PASS : XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
