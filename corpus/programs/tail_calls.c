/* A tail-call chain: the entry program dispatches on the EtherType through a PROG_ARRAY to an
 * IPv4 or IPv6 stage, which tail-calls the final accounting stage. The array is initialised
 * statically (libbpf's `.values = { [i] = &prog }` in .maps), so loading the object wires the
 * chain. Each stage counts itself in `stage_hits`; the final stage drops ICMP/ICMPv6 and passes
 * everything else. A failed tail call (empty slot) falls through to XDP_PASS, as in the kernel. */
#include "common.h"

enum { STAGE_ENTRY, STAGE_IPV4, STAGE_IPV6, STAGE_FINAL, STAGES };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAGES);
	__type(key, __u32);
	__type(value, __u64);
} stage_hits SEC(".maps");

/* Set by the IPv4/IPv6 stage for the final one (per CPU: one packet at a time per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} l4_proto SEC(".maps");

static __always_inline void hit(__u32 stage)
{
	__u64 *count = bpf_map_lookup_elem(&stage_hits, &stage);
	if (count)
		__sync_fetch_and_add(count, 1);
}

static __always_inline void set_proto(__u32 proto)
{
	__u32 zero = 0;
	__u32 *slot = bpf_map_lookup_elem(&l4_proto, &zero);
	if (slot)
		*slot = proto;
}

int tail_ipv4(struct xdp_md *ctx);
int tail_ipv6(struct xdp_md *ctx);
int tail_final(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, STAGES);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = {
		[STAGE_IPV4] = (void *)&tail_ipv4,
		[STAGE_IPV6] = (void *)&tail_ipv6,
		[STAGE_FINAL] = (void *)&tail_final,
	},
};

SEC("xdp")
int tail_entry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;
	__be16 proto = parse_eth(data, data_end, &off);

	hit(STAGE_ENTRY);
	if (proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &jmp_table, STAGE_IPV4);
	else if (proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &jmp_table, STAGE_IPV6);
	return XDP_PASS;
}

SEC("xdp")
int tail_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;

	hit(STAGE_IPV4);
	parse_eth(data, data_end, &off);
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	set_proto(ip->protocol);
	bpf_tail_call(ctx, &jmp_table, STAGE_FINAL);
	return XDP_PASS;
}

SEC("xdp")
int tail_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;

	hit(STAGE_IPV6);
	parse_eth(data, data_end, &off);
	struct ipv6hdr *ip6 = data + off;
	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;
	set_proto(ip6->nexthdr);
	bpf_tail_call(ctx, &jmp_table, STAGE_FINAL);
	return XDP_PASS;
}

SEC("xdp")
int tail_final(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u32 *proto = bpf_map_lookup_elem(&l4_proto, &zero);

	hit(STAGE_FINAL);
	if (proto && (*proto == IPPROTO_ICMP || *proto == IPPROTO_ICMPV6))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
