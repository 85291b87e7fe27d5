# the lock's argument points at the value's start, not at the lock
# type: xdp
# map: locks array key=4 value=8 entries=1 lock=4
# expect: off 0 doesn't point to 'struct bpf_spin_lock' that is at 4
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jne %r0, 0, +2
mov %r0, 0
exit
mov %r6, %r0
mov %r1, %r6
call 93
mov %r0, 0
exit
