# xdp_md is read-only
# type: xdp
# expect: invalid bpf_context access off=12 size=4
# kernel: reject
mov %r2, 1
stxw [%r1+12], %r2
mov %r0, 2
exit
