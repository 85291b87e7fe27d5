# a map index with no map
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: fd 3 is not pointing to valid bpf_map
# kernel: skip (map indices are resolved by the loader before the kernel verifier runs)
lddw %r1, map_fd 3
mov %r0, 0
exit
