# precision: r9 = r8 + 4 on one path, r9 = r8 on the other (both unbounded, so equal ranges); after the join 4 <= r9 <= 16 bounds r8 by 12 or by 16 — the offset of the link must count at the join
# type: xdp
# map: vals array key=4 value=16 entries=1
# expect: invalid access to map value, value_size=16 off=16 size=4
# kernel: reject
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
call 7
mov %r8, %r0
mov %r9, %r8
jeq %r6, 0, join
add %r9, 4
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
jlt %r9, 4, out
jgt %r9, 16, out
mov %r3, %r7
add %r3, %r8
ldxw %r0, [%r3+0]
exit
out:
mov %r0, 0
exit
