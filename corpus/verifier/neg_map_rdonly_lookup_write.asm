# a store through a looked-up value of a BPF_F_RDONLY_PROG map (check_map_access_type)
# type: xdp
# map: config hash key=4 value=8 entries=4 readonly
# expect: write into map forbidden, value_size=8 off=4 size=4
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stw [%r0+4], 1
out:
mov %r0, 2
exit
