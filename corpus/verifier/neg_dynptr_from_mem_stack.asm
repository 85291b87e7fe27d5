# bpf_dynptr_from_mem over stack memory: only a map value may back a LOCAL dynptr (check_helper_call)
# type: xdp
# expect: Unsupported reg type fp for bpf_dynptr_from_mem data
# kernel: reject
mov %r1, 0
stxdw [%r10-32], %r1
mov %r1, %r10
add %r1, -32
mov %r2, 8
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 197
mov %r0, 2
exit
