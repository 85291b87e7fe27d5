# sum of 0..15 in a loop
# type: xdp
# expect: accept
# kernel: accept
mov %r0, 0
mov %r1, 0
loop:
add %r0, %r1
add %r1, 1
jlt %r1, 16, loop
exit
