# xdp_md fields are loaded whole
# type: xdp
# expect: invalid bpf_context access off=0 size=1
# kernel: reject
ldxb %r0, [%r1+0]
exit
