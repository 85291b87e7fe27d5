# a store into the second half of an xdp dynptr destroys it: the slice that follows has no dynptr
# type: xdp
# expect: Expected an initialized dynptr as arg #0
# kernel: reject
mov %r6, %r1
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_xdp
mov %r1, 0
stxdw [%r10-8], %r1
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 0
mov %r4, 8
call kfunc bpf_dynptr_slice
mov %r0, 2
exit
