# a callback counts in a 4-byte field its caller's stack holds at a 4-byte (not 8-byte) offset,
# and masks it to index an 8-byte array: a million iterations converge (the kernel does not
# track constants stored there; neither may the loop's convergence here)
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 0
stdw [%r10-16], 0
mov %r3, %r10
add %r3, -16
mov %r1, 1000000
lddw %r2, func step
mov %r4, 0
call 181
mov %r0, 2
exit
step:
ldxw %r4, [%r2+12]
mov %r5, %r4
and %r5, 7
mov %r3, %r2
add %r3, %r5
stb [%r3+0], 1
add %r4, 1
stxw [%r2+12], %r4
mov %r0, 0
exit
