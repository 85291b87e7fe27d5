# map_update_elem on a BPF_F_RDONLY_PROG map: a helper may not change it either (record_func_map)
# type: xdp
# map: config hash key=4 value=8 entries=4 readonly
# expect: write into map forbidden
# kernel: reject
stw [%r10-4], 7
stdw [%r10-16], 1
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
lddw %r1, map_fd 0
mov %r4, 0
call 2
mov %r0, 2
exit
