/* cilium-like tc program: IPv4 conntrack in a HASH map (5-tuple, both directions looked up),
 * SNAT of new flows from the "pod" prefix to a node address with a port picked from a counter,
 * DNAT of a service VIP to a backend; rewrites by direct packet access after
 * bpf_skb_pull_data, checksums fixed with bpf_csum_diff + bpf_l4_csum_replace(from 0, to diff)
 * and bpf_l3_csum_replace; TCP flags tracked (SYN/FIN/RST close the entry). */
#include "common.h"

#define NODE_IP  bpf_htonl(0xc0000201) /* 192.0.2.1 */
#define SVC_IP   bpf_htonl(0xac100001) /* 172.16.0.1 */
#define SVC_BACKEND bpf_htonl(0xac10000a)

struct ct_tuple { __be32 daddr; __be32 saddr; __be16 dport; __be16 sport; __u8 nexthdr; __u8 flags; __u16 pad; };
struct ct_entry { __u64 packets; __u64 bytes; __u32 rx_closing:1, tx_closing:1, seen_syn:1, nat:1, reserved:28; __be32 nat_addr; __be16 nat_port; __u16 rev_nat_index; __u32 pad; };
struct nat_state { __u32 next_port; __u32 new; __u32 est; __u32 closed; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 20000); __type(key, struct ct_tuple); __type(value, struct ct_entry); } ct_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct nat_state); } nat_state SEC(".maps");

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04

static __always_inline int rewrite_l4(struct __sk_buff *skb, __u32 l4_off, __u8 proto, __u32 port_off, __be16 old_port, __be16 new_port, __be32 old_ip, __be32 new_ip)
{
	__u32 csum_off = l4_off + (proto == IPPROTO_TCP ? offsetof(struct tcphdr, check) : offsetof(struct udphdr, check));
	__be32 from[2] = { old_ip, old_port };
	__be32 to[2] = { new_ip, new_port };
	__s64 diff = bpf_csum_diff(from, sizeof(from), to, sizeof(to), 0);
	if (diff < 0)
		return -1;
	if (proto == IPPROTO_UDP) {
		__be16 check;
		if (bpf_skb_load_bytes(skb, csum_off, &check, 2) < 0)
			return -1;
		if (!check)
			goto ports;
	}
	if (bpf_l4_csum_replace(skb, csum_off, 0, diff, BPF_F_PSEUDO_HDR | (proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0)) < 0)
		return -1;
ports:
	if (bpf_skb_store_bytes(skb, l4_off + port_off, &new_port, 2, 0) < 0)
		return -1;
	return 0;
}

SEC("tc")
int tc_ct_nat(struct __sk_buff *skb)
{
	if (bpf_skb_pull_data(skb, 0) < 0)
		return TC_ACT_SHOT;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr *ip4 = (void *)(eth + 1);
	if ((void *)(ip4 + 1) > data_end)
		return TC_ACT_OK;
	if (ip4->ihl < 5 || (ip4->frag_off & bpf_htons(0x1fff)))
		return TC_ACT_OK;
	__u32 l4_off = sizeof(*eth) + ip4->ihl * 4;
	__u8 proto = ip4->protocol;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return TC_ACT_OK;
	struct ct_tuple tuple = { .daddr = ip4->daddr, .saddr = ip4->saddr, .nexthdr = proto };
	__be16 ports[2];
	if (bpf_skb_load_bytes(skb, l4_off, ports, 4) < 0)
		return TC_ACT_SHOT;
	tuple.sport = ports[0];
	tuple.dport = ports[1];
	__u8 tcp_flags = 0;
	if (proto == IPPROTO_TCP && bpf_skb_load_bytes(skb, l4_off + 13, &tcp_flags, 1) < 0)
		return TC_ACT_SHOT;

	__u32 zero = 0;
	struct nat_state *st = bpf_map_lookup_elem(&nat_state, &zero);
	if (!st)
		return TC_ACT_SHOT;
	__u32 len = skb->len;

	struct ct_entry *ct = bpf_map_lookup_elem(&ct_map, &tuple);
	if (!ct) {
		/* reply direction of a NATed flow? */
		struct ct_tuple rev = { .daddr = tuple.saddr, .saddr = tuple.daddr, .dport = tuple.sport, .sport = tuple.dport, .nexthdr = proto, .flags = 1 };
		ct = bpf_map_lookup_elem(&ct_map, &rev);
		if (ct) {
			__sync_fetch_and_add(&ct->packets, 1);
			__sync_fetch_and_add(&ct->bytes, len);
			if (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST))
				ct->rx_closing = 1;
			return TC_ACT_OK;
		}
		if (proto == IPPROTO_TCP && !(tcp_flags & TCP_FLAG_SYN) && (tcp_flags & TCP_FLAG_RST))
			return TC_ACT_SHOT; /* RST for an unknown flow */
		struct ct_entry nv = { .packets = 1, .bytes = len };
		nv.seen_syn = !!(tcp_flags & TCP_FLAG_SYN);
		int snat = (tuple.saddr & bpf_htonl(0xff000000)) == bpf_htonl(0x0a000000);
		int dnat = tuple.daddr == SVC_IP;
		if (snat) {
			nv.nat = 1;
			nv.nat_addr = NODE_IP;
			nv.nat_port = bpf_htons(32768 + (__sync_fetch_and_add(&st->next_port, 1) & 0x3fff));
		} else if (dnat) {
			nv.nat = 1;
			nv.nat_addr = SVC_BACKEND;
			nv.nat_port = tuple.dport;
			nv.rev_nat_index = 1;
		}
		if (bpf_map_update_elem(&ct_map, &tuple, &nv, BPF_NOEXIST) < 0)
			return TC_ACT_SHOT;
		__sync_fetch_and_add(&st->new, 1);
		if (!nv.nat)
			return TC_ACT_OK;
		/* Record the reverse tuple of the translated flow. */
		struct ct_tuple rt = { .nexthdr = proto, .flags = 1 };
		if (snat) { rt.daddr = tuple.daddr; rt.saddr = nv.nat_addr; rt.dport = tuple.dport; rt.sport = nv.nat_port; }
		else { rt.daddr = nv.nat_addr; rt.saddr = tuple.saddr; rt.dport = tuple.dport; rt.sport = tuple.sport; }
		struct ct_entry rv = { .nat = 1, .rev_nat_index = nv.rev_nat_index };
		bpf_map_update_elem(&ct_map, &rt, &rv, BPF_ANY);
		ct = bpf_map_lookup_elem(&ct_map, &tuple);
		if (!ct)
			return TC_ACT_SHOT;
	} else {
		__sync_fetch_and_add(&ct->packets, 1);
		__sync_fetch_and_add(&ct->bytes, len);
		__sync_fetch_and_add(&st->est, 1);
		if (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST))
			ct->tx_closing = 1;
		if (ct->tx_closing && ct->rx_closing) {
			__sync_fetch_and_add(&st->closed, 1);
			bpf_map_delete_elem(&ct_map, &tuple);
			return TC_ACT_OK;
		}
		if (!ct->nat)
			return TC_ACT_OK;
	}
	/* Translate: SNAT rewrites the source, DNAT the destination. */
	int is_dnat = ct->rev_nat_index != 0;
	__be32 new_ip = ct->nat_addr;
	__be16 new_port = ct->nat_port;
	__u32 ip_off = sizeof(struct ethhdr) + (is_dnat ? offsetof(struct iphdr, daddr) : offsetof(struct iphdr, saddr));
	__be32 old_ip = is_dnat ? tuple.daddr : tuple.saddr;
	__be16 old_port = is_dnat ? tuple.dport : tuple.sport;
	if (rewrite_l4(skb, l4_off, proto, is_dnat ? 2 : 0, old_port, new_port, old_ip, new_ip) < 0)
		return TC_ACT_SHOT;
	if (bpf_l3_csum_replace(skb, sizeof(struct ethhdr) + offsetof(struct iphdr, check), old_ip, new_ip, 4) < 0)
		return TC_ACT_SHOT;
	/* The address through direct access (the pointers are stale after the helpers: reload). */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + ip_off + 4 > data_end)
		return TC_ACT_SHOT;
	*(__be32 *)(data + ip_off) = new_ip;
	skb->mark = 0xc7 | (is_dnat << 8);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "Dual MIT/GPL";
