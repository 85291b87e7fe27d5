# bpf_dynptr_slice_rdwr without a buffer, written after its NULL check (6.18: accepted, 18 processed insns)
# type: xdp
# expect: accept
# kernel: accept
mov %r6, %r1
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_xdp
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 0
mov %r4, 8
call kfunc bpf_dynptr_slice_rdwr
jeq %r0, 0, out
mov %r1, 1
stxdw [%r0+0], %r1
out:
mov %r0, 2
exit
