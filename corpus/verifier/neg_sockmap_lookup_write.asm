# a socket map's lookup result is a socket, not a value to write
# type: xdp
# map: socks sockmap key=4 value=4 entries=4
# expect: R0 cannot write into sock
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stw [%r0+0], 0x1234
mov %r1, %r0
call 86
out:
mov %r0, 2
exit
