# a store through bpf_dynptr_slice's slice, which is read-only (use bpf_dynptr_slice_rdwr)
# type: sched_cls
# expect: R0 cannot write into rdonly_mem
# kernel: reject
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_skb
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, %r10
add %r3, -32
mov %r4, 8
call kfunc bpf_dynptr_slice
jeq %r0, 0, out
mov %r1, 1
stxdw [%r0+0], %r1
out:
mov %r0, 0
exit
