# programs cannot change an XSKMAP: it takes only redirect_map and lookups (check_map_func_compatibility)
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: cannot pass map_type 17 into func bpf_map_update_elem#2
# kernel: reject
stw [%r10-4], 0
stw [%r10-8], 1
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -8
mov %r4, 0
lddw %r1, map_fd 0
call 2
mov %r0, 2
exit
