# skb_load_bytes is not an XDP helper
# type: xdp
# expect: program of this type cannot use helper bpf_skb_load_bytes#26
# kernel: reject
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 8
call 26
mov %r0, 0
exit
