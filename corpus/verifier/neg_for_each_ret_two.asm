# a bpf_for_each_map_elem callback returns 2 on one of its paths
# type: xdp
# map: arr array key=4 value=8 entries=4
# expect: At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]
# kernel: reject
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
step:
ldxdw %r0, [%r3+0]
and %r0, 1
jeq %r0, 0, +1
mov %r0, 2
exit
