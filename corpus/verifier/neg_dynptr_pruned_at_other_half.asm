# one path has a dynptr at fp-24, the other (explored second) dynptrs at fp-32 and fp-16, whose halves cover the same slots: where they join, fp-24 is the second half of a dynptr on the second path, and pruning must not take it for the first path's (stacksafe compares which half a slot is)
# type: xdp
# map: vals array key=4 value=64 entries=1
# expect: Expected an initialized dynptr as arg #2
# kernel: reject
mov %r1, 0
stxw [%r10-4], %r1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
jne %r0, 0, two
mov %r1, %r6
mov %r2, 64
mov %r3, 0
mov %r4, %r10
add %r4, -24
call 197
ja join
two:
mov %r1, %r6
mov %r2, 64
mov %r3, 0
mov %r4, %r10
add %r4, -32
call 197
mov %r1, %r6
mov %r2, 64
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 197
join:
mov %r1, %r10
add %r1, -40
mov %r2, 8
mov %r3, %r10
add %r3, -24
mov %r4, 0
mov %r5, 0
call 201
out:
mov %r0, 2
exit
