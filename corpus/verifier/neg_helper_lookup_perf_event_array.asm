# a perf event array is only for perf_event_output and friends (check_map_func_compatibility)
# type: xdp
# map: events perf_event_array key=4 value=4 entries=4
# expect: cannot pass map_type 4 into func bpf_map_lookup_elem#1
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
