# a subprogram sums its caller's 8 stack bytes in a may_goto loop, called twice: each call gets
# its own budget, and the bounds check keeps the index inside the caller's frame
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 1
mov %r1, %r10
add %r1, -8
call local sum
mov %r6, %r0
mov %r1, %r10
add %r1, -8
call local sum
add %r0, %r6
and %r0, 3
exit
sum:
mov %r0, 0
mov %r2, 0
next:
may_goto out
jge %r2, 8, out
mov %r3, %r1
add %r3, %r2
ldxb %r4, [%r3+0]
add %r0, %r4
add %r2, 1
ja next
out:
exit
