# map_delete_elem on a BPF_F_RDONLY_PROG map (record_func_map)
# type: xdp
# map: config hash key=4 value=8 entries=4 readonly
# expect: write into map forbidden
# kernel: reject
stw [%r10-4], 7
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 3
mov %r0, 2
exit
