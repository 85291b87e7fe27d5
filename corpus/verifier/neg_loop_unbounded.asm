# a counter that is unknown never proves termination
# type: xdp
# expect: infinite loop detected
# kernel: reject
call 7
mov %r1, %r0
loop:
add %r1, 1
jne %r1, 0, loop
mov %r0, 0
exit
