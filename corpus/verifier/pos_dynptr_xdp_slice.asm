# bpf_dynptr_from_xdp, then bpf_dynptr_slice of 8 bytes through a stack buffer, read after its NULL check (6.18: accepted, 18 processed insns)
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
mov %r3, %r10
add %r3, -32
mov %r4, 8
call kfunc bpf_dynptr_slice
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
out:
mov %r0, 2
exit
