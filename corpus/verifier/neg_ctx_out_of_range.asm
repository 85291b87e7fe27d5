# past the end of xdp_md
# type: xdp
# expect: invalid bpf_context access off=24 size=4
# kernel: reject
ldxw %r0, [%r1+24]
exit
