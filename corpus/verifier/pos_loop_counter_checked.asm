# a callback keeps a counter in its caller's stack and stops the loop before it leaves the array
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 0
stdw [%r10-16], 0
mov %r3, %r10
add %r3, -16
mov %r1, 100
lddw %r2, func step
mov %r4, 0
call 181
mov %r0, 2
exit
step:
ldxdw %r4, [%r2+8]
jgt %r4, 7, stop
mov %r5, %r2
add %r5, %r4
stb [%r5+0], 1
add %r4, 1
stxdw [%r2+8], %r4
mov %r0, 0
exit
stop:
mov %r0, 1
exit
