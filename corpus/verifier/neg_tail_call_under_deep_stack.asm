# a subprogram tail-calls under 256 bytes of its caller's stack: each tail call leaves its
# callers' frames in place, so the kernel caps them at 256 bytes (33 programs × 256 = 8 KiB)
# type: sched_cls
# map: jt prog_array key=4 value=4 entries=4
# expect: tail_calls are not allowed when call stack of previous frames is 256 bytes. Too large
# kernel: reject
stdw [%r10-256], 0
call local f
ldxdw %r0, [%r10-256]
exit
f:
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit
