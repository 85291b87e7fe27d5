/* xdp-tutorial style: packet03-redirecting "xdp_stats" record per action (PERCPU_ARRAY of
 * struct datarec), MAC swap, UDP/TCP destination port rewrite (port - 1) with incremental
 * checksum update, ICMPv6 echo request -> reply (type change + csum). */
#include "common.h"
#include <linux/icmpv6.h>

struct datarec { __u64 rx_packets; __u64 rx_bytes; };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct datarec);
	__uint(max_entries, XDP_REDIRECT + 1);
} xdp_stats_map SEC(".maps");

static __always_inline __u32 xdp_stats_record_action(struct xdp_md *ctx, __u32 action)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	if (action >= XDP_REDIRECT + 1)
		return XDP_ABORTED;
	struct datarec *rec = bpf_map_lookup_elem(&xdp_stats_map, &action);
	if (!rec)
		return XDP_ABORTED;
	rec->rx_packets++;
	rec->rx_bytes += (data_end - data);
	return action;
}

struct hdr_cursor { void *pos; };

static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end, struct ethhdr **ethhdr)
{
	struct ethhdr *eth = nh->pos;
	int hdrsize = sizeof(*eth);
	if (nh->pos + hdrsize > data_end)
		return -1;
	nh->pos += hdrsize;
	*ethhdr = eth;
	return eth->h_proto;
}

static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end, struct iphdr **iphdr)
{
	struct iphdr *iph = nh->pos;
	int hdrsize;
	if ((void *)(iph + 1) > data_end)
		return -1;
	hdrsize = iph->ihl * 4;
	if (hdrsize < sizeof(*iph))
		return -1;
	if (nh->pos + hdrsize > data_end)
		return -1;
	nh->pos += hdrsize;
	*iphdr = iph;
	return iph->protocol;
}

static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end, struct ipv6hdr **ip6hdr)
{
	struct ipv6hdr *ip6h = nh->pos;
	if ((void *)(ip6h + 1) > data_end)
		return -1;
	nh->pos = ip6h + 1;
	*ip6hdr = ip6h;
	return ip6h->nexthdr;
}

static __always_inline void swap_src_dst_mac(struct ethhdr *eth)
{
	__u8 h_tmp[ETH_ALEN];
	__builtin_memcpy(h_tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, h_tmp, ETH_ALEN);
}

static __always_inline __u16 csum16_add(__u16 csum, __u16 addend)
{
	__u16 res = csum;
	res += addend;
	return res + (res < addend);
}
static __always_inline __u16 csum16_sub(__u16 csum, __u16 addend) { return csum16_add(csum, ~addend); }
static __always_inline void csum_replace2(__u16 *sum, __u16 old, __u16 new)
{
	*sum = ~csum16_add(csum16_sub(~(*sum), old), new);
}

SEC("xdp")
int xdp_port_rewrite(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	__u32 action = XDP_PASS;
	int eth_type, ip_type;

	eth_type = parse_ethhdr(&nh, data_end, &eth);
	if (eth_type == bpf_htons(ETH_P_IP)) {
		ip_type = parse_iphdr(&nh, data_end, &iph);
		if (ip_type == IPPROTO_UDP) {
			struct udphdr *udph = nh.pos;
			if ((void *)(udph + 1) > data_end) { action = XDP_ABORTED; goto out; }
			__u16 old = udph->dest;
			udph->dest = bpf_htons(bpf_ntohs(udph->dest) - 1);
			if (udph->check)
				csum_replace2(&udph->check, old, udph->dest);
			swap_src_dst_mac(eth);
			action = XDP_TX;
		} else if (ip_type == IPPROTO_TCP) {
			struct tcphdr *tcph = nh.pos;
			if ((void *)(tcph + 1) > data_end) { action = XDP_ABORTED; goto out; }
			__u16 old = tcph->dest;
			tcph->dest = bpf_htons(bpf_ntohs(tcph->dest) - 1);
			csum_replace2(&tcph->check, old, tcph->dest);
		}
	} else if (eth_type == bpf_htons(ETH_P_IPV6)) {
		ip_type = parse_ip6hdr(&nh, data_end, &ip6h);
		if (ip_type == IPPROTO_ICMPV6) {
			struct icmp6hdr *icmp6 = nh.pos;
			if ((void *)(icmp6 + 1) > data_end) { action = XDP_ABORTED; goto out; }
			if (icmp6->icmp6_type == ICMPV6_ECHO_REQUEST) {
				struct in6_addr tmp = ip6h->saddr;
				ip6h->saddr = ip6h->daddr;
				ip6h->daddr = tmp;
				__u16 old = *(__u16 *)icmp6;
				icmp6->icmp6_type = ICMPV6_ECHO_REPLY;
				csum_replace2(&icmp6->icmp6_cksum, old, *(__u16 *)icmp6);
				swap_src_dst_mac(eth);
				action = XDP_TX;
			} else if (icmp6->icmp6_type >= 128) {
				action = XDP_DROP;
			}
		}
	} else if (eth_type < 0) {
		action = XDP_ABORTED;
	}
out:
	return xdp_stats_record_action(ctx, action);
}

char _license[] SEC("license") = "Dual MIT/GPL";
