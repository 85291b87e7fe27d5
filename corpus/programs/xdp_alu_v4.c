/* Arithmetic-heavy flow hashing compiled for -mcpu=v4 (sign-extending loads and moves, bswap,
 * signed division and modulo, 32-bit ALU): jhash-style mixing, a bitwise CRC32 over the
 * 5-tuple, and a signed per-flow score. Results are folded into an ARRAY of buckets. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __s64);
} buckets SEC(".maps");

#define rol32(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

static __always_inline __u32 jmix(__u32 a, __u32 b, __u32 c)
{
	a -= c; a ^= rol32(c, 4); c += b;
	b -= a; b ^= rol32(a, 6); a += c;
	c -= b; c ^= rol32(b, 8); b += a;
	a -= c; a ^= rol32(c, 16); c += b;
	b -= a; b ^= rol32(a, 19); a += c;
	c -= b; c ^= rol32(b, 4); b += a;
	return c;
}

static const __u32 crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

static __always_inline __u32 crc32_bytes(const __u8 *p, int n, __u32 crc)
{
	for (int i = 0; i < n; i++) {
		crc ^= p[i];
		/* Nibble-wise with a 16-entry table: the bitwise form's `-(crc & 1) & poly` makes the
		 * 6.18 verifier fork on every bit (2^104 paths). */
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return crc;
}

struct tuple {
	__be32 saddr, daddr;
	__be16 sport, dport;
	__u8 proto;
	__s8 ttl_delta;
	__s16 win;
};

SEC("xdp")
int xdp_alu_v4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0;
	if (parse_eth(data, data_end, &off) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end || ip->ihl != 5)
		return XDP_PASS;
	struct tuple t = {};
	t.saddr = ip->saddr;
	t.daddr = ip->daddr;
	t.proto = ip->protocol;
	t.ttl_delta = (__s8)(64 - ip->ttl);
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);
		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		t.sport = tcp->source;
		t.dport = tcp->dest;
		t.win = *(volatile __s16 *)&tcp->window;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > data_end)
			return XDP_PASS;
		t.sport = udp->source;
		t.dport = udp->dest;
		t.win = (__s16)bpf_ntohs(udp->len);
	}
	__u32 h = jmix(bpf_ntohl(t.saddr), bpf_ntohl(t.daddr), ((__u32)t.sport << 16) | t.dport);
	__u32 crc = ~crc32_bytes((const __u8 *)&t, 13, ~0u);
	__s32 score = (__s32)t.ttl_delta * 1000 + (__s32)(__s16)bpf_ntohs(t.win);
	__s32 q = score / 7;
	__s32 r = score % 7;
	__s64 wide = (__s64)score * (__s64)(__s32)h;
	wide = wide / -13;
	__u32 idx = (h ^ crc) & 63;
	__s64 *b = bpf_map_lookup_elem(&buckets, &idx);
	if (!b)
		return XDP_ABORTED;
	*b += (__s64)q * 3 + r + (wide % 100003) + (__s64)(__s32)bpf_ntohl(crc);
	return (crc & 3) == 0 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
