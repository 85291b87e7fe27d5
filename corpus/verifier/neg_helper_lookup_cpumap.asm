# a cpumap only takes redirect_map (check_map_func_compatibility, the map's side)
# type: xdp
# map: cpus cpumap key=4 value=4 entries=2
# expect: cannot pass map_type 16 into func bpf_map_lookup_elem#1
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
