# bpf_dynptr_from_xdp in a tc program: XDP's kfunc id set only
# type: sched_cls
# expect: calling kernel function bpf_dynptr_from_xdp is not allowed
# kernel: reject
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_xdp
mov %r0, 0
exit
