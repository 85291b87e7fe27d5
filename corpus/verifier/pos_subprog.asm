# a function with its own stack, called twice
# type: xdp
# expect: accept
# kernel: accept
mov %r1, 3
call local square
mov %r6, %r0
mov %r1, 4
call local square
add %r0, %r6
exit
square:
stxdw [%r10-8], %r1
ldxdw %r0, [%r10-8]
mul %r0, %r1
exit
