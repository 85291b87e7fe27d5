# a bpf_loop callback returns 2 on one of its paths
# type: xdp
# expect: At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]
# kernel: reject
mov %r1, 4
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
step:
mov %r0, %r1
and %r0, 1
jeq %r0, 0, +1
mov %r0, 2
exit
