/* tc classifier: marks packets by class and lets them through (TC_ACT_OK). skb->mark gets the
 * IPv4 DSCP (or the IPv6 traffic class' DSCP) plus 0x100 for TCP, 0x200 for UDP;
 * skb->priority gets the DSCP's class selector (top 3 bits). Non-IP frames get mark 0xffff.
 * Exercises direct packet access and writes to writable __sk_buff fields. */
#include "common.h"

SEC("tc")
int tc_classifier(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 off = 0, dscp = 0, l4 = 0, mark = 0xffff;
	__be16 proto = parse_eth(data, data_end, &off);

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		if ((void *)(ip + 1) > data_end)
			return TC_ACT_OK;
		dscp = ip->tos >> 2;
		l4 = ip->protocol;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		if ((void *)(ip6 + 1) > data_end)
			return TC_ACT_OK;
		dscp = ((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2;
		l4 = ip6->nexthdr;
	}
	if (proto == bpf_htons(ETH_P_IP) || proto == bpf_htons(ETH_P_IPV6))
		mark = dscp | (l4 == IPPROTO_TCP ? 0x100 : l4 == IPPROTO_UDP ? 0x200 : 0);
	/* Both stores through the unmodified ctx pointer: the verifier rejects stores through a
	 * ctx pointer with an offset added ("dereference of modified ctx ptr"). */
	skb->mark = mark;
	skb->priority = dscp >> 3;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
