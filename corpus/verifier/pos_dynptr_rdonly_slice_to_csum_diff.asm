# a bpf_dynptr_slice (read-only memory) given to bpf_csum_diff, whose memory is ARG_PTR_TO_MEM | MEM_RDONLY: read-only memory passes (6.18: accepted, 22 processed insns)
# type: sched_cls
# expect: accept
# kernel: accept
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
mov %r1, %r0
mov %r2, 8
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
out:
mov %r0, 0
exit
