# a bpf_dynptr_slice (read-only memory) as bpf_skb_load_bytes's destination, which the helper writes
# type: sched_cls
# expect: R3 type=rdonly_mem expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
# kernel: reject
mov %r6, %r1
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_skb
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 0
mov %r4, 8
call kfunc bpf_dynptr_slice
jeq %r0, 0, out
mov %r1, %r6
mov %r2, 0
mov %r3, %r0
mov %r4, 8
call 26
out:
mov %r0, 0
exit
