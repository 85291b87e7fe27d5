/* tc SNAT: IPv4 TCP/UDP from a private net (10.0.0.0/8 or 192.168.0.0/16) has its source
 * address rewritten to a public address and its source port mapped from a HASH table (learned
 * on first sight), using bpf_skb_store_bytes + bpf_l3_csum_replace + bpf_l4_csum_replace
 * (BPF_F_PSEUDO_HDR), as cilium-style NAT does. Packet data re-read through skb->data after
 * helpers that may change it. */
#include "common.h"

#define PUBLIC_IP 0xc6336401 /* 198.51.100.1 */
#define IP_CSUM_OFF(l2) ((l2) + offsetof(struct iphdr, check))
#define IP_SRC_OFF(l2) ((l2) + offsetof(struct iphdr, saddr))

struct nat_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct nat_val {
	__be16 port;
	__u16 pad;
	__u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nat_key);
	__type(value, struct nat_val);
} nat SEC(".maps");

__u32 next_port = 20000;
__s64 errors[4];

static __always_inline int is_private(__be32 a)
{
	__u32 h = bpf_ntohl(a);
	return (h >> 24) == 10 || (h >> 16) == 0xc0a8;
}

SEC("tc")
int tc_snat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 l2 = 0;
	int err;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (parse_eth(data, data_end, &l2) != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (l2 != sizeof(struct ethhdr))
		return TC_ACT_UNSPEC;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_SHOT;
	if (!is_private(ip->saddr) || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)))
		return TC_ACT_OK;
	__u8 proto = ip->protocol;
	__u32 l4 = sizeof(struct ethhdr) + sizeof(struct iphdr);
	__u32 csum_off, port_off = l4 + offsetof(struct tcphdr, source);
	if (proto == IPPROTO_TCP)
		csum_off = l4 + offsetof(struct tcphdr, check);
	else if (proto == IPPROTO_UDP)
		csum_off = l4 + offsetof(struct udphdr, check);
	else
		return TC_ACT_OK;

	__be16 sport;
	if (bpf_skb_load_bytes(skb, port_off, &sport, sizeof(sport)) < 0)
		return TC_ACT_SHOT;
	struct nat_key k = { .addr = ip->saddr, .port = sport, .proto = proto };
	__be32 old_ip = ip->saddr, new_ip = bpf_htonl(PUBLIC_IP);
	struct nat_val *v = bpf_map_lookup_elem(&nat, &k);
	if (!v) {
		struct nat_val nv;
		__builtin_memset(&nv, 0, sizeof(nv));
		nv.port = bpf_htons(__sync_fetch_and_add(&next_port, 1) & 0xffff);
		if (bpf_map_update_elem(&nat, &k, &nv, BPF_NOEXIST))
			return TC_ACT_SHOT;
		v = bpf_map_lookup_elem(&nat, &k);
		if (!v)
			return TC_ACT_SHOT;
	}
	v->packets++;
	__be16 new_port = v->port;

	/* UDP with checksum 0: no L4 checksum to fix. */
	__sum16 l4sum;
	if (bpf_skb_load_bytes(skb, csum_off, &l4sum, 2) < 0)
		return TC_ACT_SHOT;
	int fix_l4 = proto == IPPROTO_TCP || l4sum != 0;
	if (fix_l4) {
		err = bpf_l4_csum_replace(skb, csum_off, old_ip, new_ip, BPF_F_PSEUDO_HDR | sizeof(new_ip));
		if (err) { errors[0]++; return TC_ACT_SHOT; }
		err = bpf_l4_csum_replace(skb, csum_off, sport, new_port, sizeof(new_port));
		if (err) { errors[1]++; return TC_ACT_SHOT; }
	}
	err = bpf_l3_csum_replace(skb, IP_CSUM_OFF(sizeof(struct ethhdr)), old_ip, new_ip, sizeof(new_ip));
	if (err) { errors[2]++; return TC_ACT_SHOT; }
	err = bpf_skb_store_bytes(skb, IP_SRC_OFF(sizeof(struct ethhdr)), &new_ip, sizeof(new_ip), 0);
	if (err) { errors[3]++; return TC_ACT_SHOT; }
	err = bpf_skb_store_bytes(skb, port_off, &new_port, sizeof(new_port), BPF_F_INVALIDATE_HASH);
	if (err) return TC_ACT_SHOT;

	/* Data pointers are invalid after store_bytes: re-read and check the result. */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_SHOT;
	skb->mark = ip->saddr == new_ip ? 0x5a : 0xbad;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
