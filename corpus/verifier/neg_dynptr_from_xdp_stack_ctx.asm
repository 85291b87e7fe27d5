# bpf_dynptr_from_xdp given a stack pointer for its xdp_md (KF_ARG_PTR_TO_CTX)
# type: xdp
# expect: arg#0 expected pointer to ctx, but got fp
# kernel: reject
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_xdp
mov %r0, 2
exit
