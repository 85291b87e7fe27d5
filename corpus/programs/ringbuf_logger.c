/* Flow logger: for every IPv4 TCP SYN (without ACK) writes a record {saddr, daddr, sport,
 * dport, len} to a BPF ring buffer (reserve/submit; discards when the record would be
 * incomplete) and counts dropped records when the ring is full. Always XDP_PASS. */
#include "common.h"

struct syn_event {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u32 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ring_full SEC(".maps");

SEC("xdp")
int ringbuf_logger(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0, zero = 0;

	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	struct tcphdr *tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end || !tcp->syn || tcp->ack)
		return XDP_PASS;

	struct syn_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__u64 *full = bpf_map_lookup_elem(&ring_full, &zero);
		if (full)
			__sync_fetch_and_add(full, 1);
		return XDP_PASS;
	}
	ev->saddr = ip->saddr;
	ev->daddr = ip->daddr;
	ev->sport = tcp->source;
	ev->dport = tcp->dest;
	ev->len = data_end - data;
	bpf_ringbuf_submit(ev, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
