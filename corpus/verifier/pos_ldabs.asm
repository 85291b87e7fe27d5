# classic socket filter: IPv4 TCP
# type: socket_filter
# expect: accept
# kernel: accept
mov %r6, %r1
ldabsh 12
jne %r0, 0x800, drop
ldabsb 23
jne %r0, 6, drop
mov %r2, 14
ldindb %r2, 0
mov %r0, -1
exit
drop:
mov %r0, 0
exit
