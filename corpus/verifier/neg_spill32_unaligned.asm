# a 4-byte spill at fp-12 is not tracked (only 8-byte-aligned ones are): its bound is lost
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R6 unbounded memory access, make sure to bounds check any such access
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
ldxw %r1, [%r6+0]
and32 %r1, 7
stxw [%r10-12], %r1
call 5
ldxw %r1, [%r10-12]
add %r6, %r1
ldxb %r0, [%r6+0]
exit
out:
mov %r0, 0
exit
