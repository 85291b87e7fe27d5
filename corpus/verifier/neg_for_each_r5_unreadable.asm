# a bpf_for_each_map_elem callback reads r5, which the kernel leaves uninitialised (a five-argument callback signature)
# type: xdp
# map: arr array key=4 value=8 entries=4
# expect: R5 !read_ok
# kernel: reject
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
step:
mov %r0, %r5
and %r0, 1
exit
