# the same sum with its bound one too far: the 9th byte is past the caller's frame
# type: xdp
# expect: invalid read from stack
# kernel: reject
# kernel-says: invalid
stdw [%r10-8], 1
mov %r1, %r10
add %r1, -8
call local sum
and %r0, 3
exit
sum:
mov %r0, 0
mov %r2, 0
next:
may_goto out
jgt %r2, 8, out
mov %r3, %r1
add %r3, %r2
ldxb %r4, [%r3+0]
add %r0, %r4
add %r2, 1
ja next
out:
exit
