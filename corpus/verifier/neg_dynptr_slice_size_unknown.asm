# bpf_dynptr_slice's size (buffer__szk) from bpf_get_prandom_u32: it must be a known constant
# type: xdp
# expect: R4 must be a known constant
# kernel: reject
mov %r6, %r1
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_xdp
call 7
mov %r4, %r0
and %r4, 7
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 0
call kfunc bpf_dynptr_slice
mov %r0, 2
exit
