/* DNS query parsing in XDP: UDP port 53, the DNS header, the QNAME walked byte by byte in one
 * bounded loop (at most 128 bytes: a loop per label with a nested loop per byte is too much for
 * the kernel verifier), an FNV-1a hash of the lower-cased name, QTYPE after it. Counts per
 * (qtype, name length, error) in a HASH map, keeps the first name seen per hash in a second HASH,
 * drops queries whose first label is "blocked" and answers "ANY" queries with TC set (truncated:
 * retry over TCP), addresses, ports and MACs swapped, XDP_TX. */
#include "common.h"

#define MAX_NAME 128

struct dnshdr { __be16 id; __be16 flags; __be16 qdcount; __be16 ancount; __be16 nscount; __be16 arcount; };
struct qkey { __u16 qtype; __u8 labels; __u8 bad; };
struct name_val { __u8 name[MAX_NAME]; __u32 len; __u32 count; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 256); __type(key, struct qkey); __type(value, __u64); } qtypes SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 512); __type(key, __u32); __type(value, struct name_val); } names SEC(".maps");

static __always_inline void bump(struct qkey *k)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&qtypes, k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&qtypes, k, &one, BPF_NOEXIST);
}

SEC("xdp")
int xdp_dns(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;
	__be16 proto = parse_eth(data, data_end, &off);
	struct iphdr *iph = data + off;
	if (proto != bpf_htons(ETH_P_IP) || (void *)(iph + 1) > data_end || iph->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (iph->ihl < 5)
		return XDP_DROP;
	off += iph->ihl * 4;
	if (off > 80)
		return XDP_PASS;
	struct udphdr *udp = data + off;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	if (udp->dest != bpf_htons(53) && udp->source != bpf_htons(53))
		return XDP_PASS;
	struct dnshdr *dns = (void *)(udp + 1);
	if ((void *)(dns + 1) > data_end)
		return XDP_DROP;
	if (dns->flags & bpf_htons(0x8000)) /* responses pass */
		return XDP_PASS;
	if (dns->qdcount != bpf_htons(1))
		return XDP_PASS;

	struct name_val nv = {};
	struct qkey key = {};
	__u8 *p = (void *)(dns + 1);
	__u32 hash = 2166136261u;
	__u32 pos = 0;
	int blocked = 0;
	/* "blocked" as the first label (length byte 7). */
	if ((void *)(p + 8) <= data_end && p[0] == 7 && __builtin_memcmp(p + 1, "blocked", 7) == 0)
		blocked = 1;
	int i;
	for (i = 0; i < MAX_NAME; i++) {
		if ((void *)(p + 1) > data_end) { key.bad = 1; goto done; }
		__u8 c = *p++;
		if (c == 0)
			break;
		if (c >= 'A' && c <= 'Z')
			c += 32;
		hash = (hash ^ c) * 16777619u;
		nv.name[i & (MAX_NAME - 1)] = c;
	}
	if (i == MAX_NAME) { key.bad = 5; goto done; }
	pos = i;
	key.labels = i;
	if ((void *)(p + 4) > data_end) { key.bad = 4; goto done; }
	key.qtype = bpf_ntohs(*(__be16 *)p);
	nv.len = pos;
done:
	bump(&key);
	if (key.bad)
		return XDP_DROP;
	struct name_val *old = bpf_map_lookup_elem(&names, &hash);
	if (old)
		old->count++;
	else {
		nv.count = 1;
		bpf_map_update_elem(&names, &hash, &nv, BPF_ANY);
	}
	if (blocked)
		return XDP_DROP;
	if (key.qtype == 255) {
		/* ANY: answer "truncated, retry over TCP" */
		dns->flags |= bpf_htons(0x8200);
		__be32 a = iph->saddr; iph->saddr = iph->daddr; iph->daddr = a;
		__be16 s = udp->source; udp->source = udp->dest; udp->dest = s;
		udp->check = 0;
		struct ethhdr *eth = data;
		__u8 mac[6];
		__builtin_memcpy(mac, eth->h_dest, 6);
		__builtin_memcpy(eth->h_dest, eth->h_source, 6);
		__builtin_memcpy(eth->h_source, mac, 6);
		return XDP_TX;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual MIT/GPL";
