/* Shared definitions for the program corpus: packet headers as the kernel's UAPI headers
 * define them, and the helpers from libbpf. Every program here compiles with
 * `clang-19 -O2 -g -target bpf -mcpu=v3 -c X.c -o X.o` (see build.sh). */
#pragma once
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif

/* The first 4 bytes of ICMP and ICMPv6 (linux/icmp.h drags in libc headers). */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* Skip Ethernet and up to one 802.1Q tag. Returns the EtherType (network order) and advances
 * *off, or 0 when the frame is too short. */
static __always_inline __be16 parse_eth(void *data, void *data_end, __u32 *off)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 0;
	__be16 proto = eth->h_proto;
	*off = sizeof(*eth);
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = data + *off;
		if ((void *)(vh + 1) > data_end)
			return 0;
		proto = vh->encapsulated_proto;
		*off += sizeof(*vh);
	}
	return proto;
}
