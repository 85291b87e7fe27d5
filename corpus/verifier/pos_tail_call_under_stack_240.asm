# a subprogram tail-calls under 240 bytes of its caller's stack: below the kernel's 256-byte cap
# type: sched_cls
# map: jt prog_array key=4 value=4 entries=4
# expect: accept
# kernel: accept
stdw [%r10-240], 0
call local f
ldxdw %r0, [%r10-240]
exit
f:
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit
