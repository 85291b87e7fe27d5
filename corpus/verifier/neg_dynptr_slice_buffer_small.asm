# bpf_dynptr_slice's buffer of 4 bytes (fp-4) for a size of 8
# type: xdp
# expect: arg#2 arg#3 memory, len pair leads to invalid memory access
# kernel: reject
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_xdp
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, %r10
add %r3, -4
mov %r4, 8
call kfunc bpf_dynptr_slice
mov %r0, 2
exit
