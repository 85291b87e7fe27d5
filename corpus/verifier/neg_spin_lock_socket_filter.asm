# a socket filter refers to a map whose value has a bpf_spin_lock
# type: socket_filter
# map: locks array key=4 value=8 entries=1 lock=4
# expect: socket filter progs cannot use bpf_spin_lock yet
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
