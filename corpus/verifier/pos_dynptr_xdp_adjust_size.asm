# bpf_dynptr_adjust, bpf_dynptr_size, bpf_dynptr_is_null, bpf_dynptr_is_rdonly on an xdp dynptr (6.18: accepted, 21 processed insns)
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
mov %r2, 2
mov %r3, 10
call kfunc bpf_dynptr_adjust
mov %r1, %r10
add %r1, -16
call kfunc bpf_dynptr_size
mov %r1, %r10
add %r1, -16
call kfunc bpf_dynptr_is_null
mov %r1, %r10
add %r1, -16
call kfunc bpf_dynptr_is_rdonly
mov %r0, 2
exit
