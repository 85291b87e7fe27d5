/* Socket filter in the classic style: legacy LD_ABS packet loads (BPF_LD | BPF_ABS, what
 * `load_byte`/`load_half` compile to). Keeps IPv4 TCP segments to or from port 80 or 443 whole,
 * and the first 64 bytes of any other IPv4 packet; drops non-IPv4 frames. Assumes no IP options
 * for the port check, like the classic `tcp port 80` filters do with an MSH load (here: ihl). */
#include "common.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket")
int socket_ldabs(struct __sk_buff *skb)
{
	if (load_half(skb, offsetof(struct ethhdr, h_proto)) != ETH_P_IP)
		return 0;
	if (load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol)) != IPPROTO_TCP)
		return 64;
	__u32 ihl = (load_byte(skb, ETH_HLEN) & 0x0f) * 4;
	__u32 sport = load_half(skb, ETH_HLEN + ihl + offsetof(struct tcphdr, source));
	__u32 dport = load_half(skb, ETH_HLEN + ihl + offsetof(struct tcphdr, dest));
	if (sport == 80 || dport == 80 || sport == 443 || dport == 443)
		return -1;
	return 64;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
