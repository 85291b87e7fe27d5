# the lock's argument at a variable offset
# type: xdp
# map: locks array key=4 value=8 entries=1 lock=4
# expect: R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset
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
ldxw %r2, [%r6+0]
and %r2, 4
mov %r1, %r6
add %r1, %r2
call 93
mov %r0, 0
exit
