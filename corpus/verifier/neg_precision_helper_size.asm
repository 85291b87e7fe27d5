# precision: a helper's size argument (csum_diff over 16 stack bytes) decided after a join: 8 fits, 100 does not
# type: xdp
# expect: invalid read from stack R1 off=-16 size=100
# kernel: reject
stdw [%r10-16], 0
stdw [%r10-8], 0
call 7
mov %r6, %r0
and %r6, 1
mov %r7, 0
mov %r8, 0
mov %r2, 100
jeq %r6, 0, join
mov %r2, 8
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
mov %r1, %r10
add %r1, -16
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
mov %r0, 2
exit
