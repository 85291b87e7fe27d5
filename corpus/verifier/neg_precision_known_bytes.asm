# a 4-byte store of a constant at fp-12 (not at a slot's start, so not a spill: STACK_MISC bytes) read back after the join as an offset
# type: xdp
# map: vals array key=4 value=16 entries=1
# expect: R2 unbounded memory access
# kernel: reject (it does not track the constant bytes of plain stores: the offset is unbounded to it; neither does this verifier)
# kernel-says: R2 unbounded memory access
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r7, %r0
call 7
mov %r6, %r0
and %r6, 1
mov %r1, 100
stxw [%r10-12], %r1
jeq %r6, 0, join
mov %r1, 8
stxw [%r10-12], %r1
jeq %r6, 5, join
mov %r3, 0
mov %r3, 1
mov %r3, 2
mov %r3, 3
mov %r3, 4
mov %r3, 5
mov %r3, 6
mov %r3, 7
ja join
join:
mov %r1, 0
ldxw %r1, [%r10-12]
mov %r2, %r7
add %r2, %r1
ldxb %r0, [%r2+0]
exit
out:
mov %r0, 0
exit
