/* tc helpers about linear data and header offsets: bpf_skb_pull_data before direct access
 * (as tc programs do for non-linear skbs), bpf_skb_load_bytes_relative from the MAC and the
 * network header, bpf_csum_update (CHECKSUM_NONE: -ENOTSUPP). Return codes and loaded bytes are
 * summed into the `res` ARRAY; a direct write after the pull flips byte 39. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __s64);
} res SEC(".maps");

static __always_inline void add(__u32 k, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&res, &k);
	if (p)
		*p += v;
}

SEC("tc")
int tc_pull_relative(struct __sk_buff *skb)
{
	/* The bytes present, not skb->len: a truncated capture's skb->len is its wire length. */
	__u32 len = skb->data_end - skb->data;
	add(0, bpf_skb_pull_data(skb, 0));
	add(1, bpf_skb_pull_data(skb, len));
	add(2, bpf_skb_pull_data(skb, len + 1) * 3);
	add(3, bpf_skb_pull_data(skb, 0xffffffff) * 5);
	add(4, bpf_csum_update(skb, 0x1234));

	__u8 buf[8];
	long r = bpf_skb_load_bytes_relative(skb, 0, buf, 8, BPF_HDR_START_NET);
	add(5, r);
	if (r == 0)
		add(6, buf[0] + (buf[7] << 8));
	r = bpf_skb_load_bytes_relative(skb, 6, buf, 8, BPF_HDR_START_MAC);
	add(7, r);
	if (r == 0)
		add(8, buf[0] + (buf[7] << 8));
	r = bpf_skb_load_bytes_relative(skb, len - 20, buf, 8, BPF_HDR_START_NET);
	add(9, r * 7 + buf[3]);
	r = bpf_skb_load_bytes_relative(skb, len - 8, buf, 8, BPF_HDR_START_MAC);
	add(10, r * 11 + buf[5]);
	r = bpf_skb_load_bytes_relative(skb, 0, buf, 4, 2);
	add(11, r + buf[0]);
	r = bpf_skb_load_bytes_relative(skb, 0x10000, buf, 4, BPF_HDR_START_MAC);
	add(12, r);

	if (bpf_skb_pull_data(skb, 40) == 0) {
		void *data = (void *)(long)skb->data;
		void *data_end = (void *)(long)skb->data_end;
		if (data + 40 <= data_end) {
			__u8 *p = data;
			p[39] ^= 0xff;
			add(13, p[20]);
		}
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
