# map_update_elem given a value pointer whose bytes include another value's lock
# type: xdp
# map: locks array key=4 value=8 entries=2 lock=4
# expect: bpf_spin_lock cannot be accessed directly by load/store
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r3, %r0
stw [%r10-8], 1
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
mov %r4, 0
call 2
mov %r0, 0
exit
