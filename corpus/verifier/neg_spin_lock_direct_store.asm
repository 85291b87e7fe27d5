# the lock word overwritten by a store covering it
# type: xdp
# map: locks array key=4 value=8 entries=1 lock=4
# expect: bpf_spin_lock cannot be accessed directly by load/store
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
stdw [%r6+0], 0
mov %r0, 0
exit
