# programs cannot change a CPUMAP: it takes only redirect_map (check_map_func_compatibility)
# type: xdp
# map: cpu_map cpumap key=4 value=4 entries=2
# expect: cannot pass map_type 16 into func bpf_map_delete_elem#3
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 3
mov %r0, 2
exit
