# precision: r9 = r8 links them; a bound on r8 bounds r9 — on the path where r9 is not a copy of r8 it stays unbounded
# type: xdp
# map: vals array key=4 value=16 entries=1
# expect: register with unbounded min value is not allowed
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
call 7
mov %r9, %r0
jeq %r6, 0, join
mov %r9, %r8
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
jgt %r8, 8, out
mov %r3, %r7
add %r3, %r9
ldxb %r0, [%r3+0]
exit
out:
mov %r0, 0
exit
