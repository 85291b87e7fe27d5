# tail call through a program array
# type: xdp
# map: jmp prog_array key=4 value=4 entries=4
# expect: accept
# kernel: accept
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 2
exit
