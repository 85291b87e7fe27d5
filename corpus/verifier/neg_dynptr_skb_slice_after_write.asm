# an skb dynptr's writable slice used after bpf_dynptr_write into the same skb, which may move its data (clear_all_pkt_pointers)
# type: sched_cls
# expect: R7 invalid mem access 'scalar'
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
call kfunc bpf_dynptr_slice_rdwr
jeq %r0, 0, out
mov %r7, %r0
stdw [%r10-24], 0
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, %r10
add %r3, -24
mov %r4, 4
mov %r5, 0
call 202
ldxdw %r1, [%r7+0]
out:
mov %r0, 0
exit
