# a map pointer is not its value
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R1 invalid mem access 'map_ptr'
# kernel: accept (the kernel lets privileged programs read struct bpf_map fields through BTF; ebpf-wasm maps have no struct bpf_map)
lddw %r1, map_fd 0
ldxdw %r0, [%r1+0]
exit
