# bpf_for_each_map_elem over a ring buffer: only arrays and hash maps have a walk (the kernel refuses with -ENOTSUPP from set_map_elem_callback_state, before check_map_func_compatibility's -EINVAL)
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
# expect: callback function not allowed for map
# kernel: reject
# kernel-says: errno 524
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
step:
mov %r0, 0
exit
